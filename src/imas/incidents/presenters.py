"""Incident rows -> API shapes, with the derived values (priority, KPIs, SLA)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from imas.catalog.models import Team
from imas.db import utcnow
from imas.incidents.models import Incident, SlaPolicy, TimelineType
from imas.incidents.schemas import (
    IncidentDetail,
    IncidentListItem,
    Kpis,
    NamedRef,
    ServiceRef,
    TimelineRead,
    UserRef,
)
from imas.incidents.sla import DEFAULT_TARGETS, Targets, priority, sla_status
from imas.orgs.models import User

_SEVERITY_DISPLAY = {
    "SEV1_CRITICAL": "SEV1 - Critical",
    "SEV2_HIGH": "SEV2 - High",
    "SEV3_MEDIUM": "SEV3 - Medium",
    "SEV4_LOW": "SEV4 - Low",
}


@dataclass(frozen=True)
class View:
    """What presenting needs besides the incident: the org's SLA policies and the time."""

    policies: dict[str, SlaPolicy] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)

    def targets(self, severity: str) -> Targets:
        policy = self.policies.get(severity)
        if policy is None:
            return DEFAULT_TARGETS[severity]
        return Targets(ack_seconds=policy.ack_seconds, resolve_seconds=policy.resolve_seconds)


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds())


def kpis(incident: Incident) -> Kpis:
    """As the seed's example implies: each measured from creation, detection before it."""
    return Kpis(
        mttd_seconds=_seconds(incident.detected_at, incident.created_at),
        mtta_seconds=_seconds(incident.created_at, incident.acknowledged_at),
        mttr_seconds=_seconds(incident.created_at, incident.resolved_at),
    )


def user_ref(user: User | None) -> UserRef | None:
    return UserRef(id=user.id, username=user.username, email=user.email) if user else None


def _team_ref(team: Team | None) -> NamedRef | None:
    return NamedRef(id=team.id, name=team.name) if team else None


def list_item(incident: Incident, view: View) -> IncidentListItem:
    return IncidentListItem(**_common(incident, view), service=_named(incident))


def _named(incident: Incident) -> NamedRef:
    return NamedRef(id=incident.service.id, name=incident.service.name)


def _common(incident: Incident, view: View) -> dict[str, object]:
    targets = view.targets(incident.severity)
    return {
        "id": incident.id,
        "short_id": incident.short_id,
        "title": incident.title,
        "description": incident.description,
        "severity": incident.severity,
        "status": incident.status,
        "priority": priority(incident.severity, incident.service.criticality),
        "lead": user_ref(incident.lead),
        "assigned_team": _team_ref(incident.assigned_team),
        "assigned_user": user_ref(incident.assigned_user),
        "tags": sorted(tag.name for tag in incident.tags),
        "sla_status": sla_status(
            targets, incident.created_at, incident.acknowledged_at, incident.resolved_at, view.now
        ),
        "remediation_status": incident.remediation_status,
        "remediation_attempts": incident.remediation_attempts,
        "created_at": incident.created_at,
        "updated_at": incident.updated_at,
        "acknowledged_at": incident.acknowledged_at,
        "resolved_at": incident.resolved_at,
    }


def detail(incident: Incident, view: View) -> IncidentDetail:
    service = incident.service
    targets = view.targets(incident.severity)
    return IncidentDetail(
        **_common(incident, view),
        severity_display=_SEVERITY_DISPLAY.get(incident.severity, incident.severity),
        status_display=incident.status.title(),
        service=ServiceRef(
            id=service.id,
            name=service.name,
            owner_team=_team_ref(service.owner_team),
            runbook_url=service.runbook_url,
            criticality=service.criticality,
        ),
        impacted_scopes=[NamedRef(id=s.id, name=s.name) for s in incident.impacted_scopes],
        affected_systems=incident.affected_systems,
        source_query=incident.source_query,
        war_room_link=incident.war_room_link,
        lid_link=incident.lid_link,
        itsm_ticket_id=incident.itsm_ticket_id,
        detected_at=incident.detected_at,
        mitigated_at=incident.mitigated_at,
        acknowledged_by=user_ref(incident.acknowledged_by),
        resolved_by=user_ref(incident.resolved_by),
        resolution_note=incident.resolution_note,
        root_cause=incident.root_cause,
        sla_seconds=targets.resolve_seconds,
        sla_ack_seconds=targets.ack_seconds,
        kpis=kpis(incident),
        timeline=[
            TimelineRead(
                id=entry.id,
                type=TimelineType(entry.type),
                message=entry.message,
                timestamp=entry.timestamp,
                actor=user_ref(entry.actor),
                data=entry.data,
            )
            for entry in incident.timeline
        ],
    )
