"""The incident events and their payload: what a receiver gets as the envelope's `data`.

Every incident event carries the incident as it is after the change (ids, short id, title,
severity, status, service, people, timestamps), who did it (`actor`) and what changed
(`changes`: field -> {"from", "to"}). `incident_id` repeats `id` because seed 001's receiver
example reads it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.models import Service, Tag, Team
from imas.events.bus import emit
from imas.events.catalogue import EventType
from imas.incidents.models import Incident, Status, incident_tags
from imas.orgs.models import User

ASSIGNMENT_FIELDS = ("lead", "assigned_team", "assigned_user")
_PLAIN_FIELDS = (
    "title",
    "description",
    "severity",
    "source_query",
    "itsm_ticket_id",
    "war_room_link",
    "lid_link",
)
_REFERENCES = {
    "lead": "lead_id",
    "assigned_team": "assigned_team_id",
    "assigned_user": "assigned_user_id",
}
_ARRIVED = {
    "acknowledged": EventType.INCIDENT_ACKNOWLEDGED,
    "mitigated": EventType.INCIDENT_MITIGATED,
    "resolved": EventType.INCIDENT_RESOLVED,
    "reopened": EventType.INCIDENT_REOPENED,
}


class Ref(BaseModel):
    id: uuid.UUID
    name: str


class UserRef(BaseModel):
    id: uuid.UUID | None = Field(description="null when an integration acted, not a person")
    username: str


class Change(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    from_: Any = Field(alias="from")
    to: Any


class IncidentEventData(BaseModel):
    incident_id: uuid.UUID
    id: uuid.UUID
    short_id: str
    title: str
    description: str
    severity: str
    status: str
    service: Ref
    lead: UserRef | None
    assigned_team: Ref | None
    assigned_user: UserRef | None
    affected_systems: list[str]
    tags: list[str]
    itsm_ticket_id: str | None
    war_room_link: str | None
    detected_at: datetime
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    resolution_note: str | None
    root_cause: str | None
    url: str
    actor: UserRef | None
    changes: dict[str, Change]


def snapshot(incident: Incident) -> dict[str, Any]:
    """The incident's user-visible fields now, to compare with after a change."""
    unloaded = inspect(incident).unloaded
    out: dict[str, Any] = {name: getattr(incident, name) for name in _PLAIN_FIELDS}
    out["affected_systems"] = list(incident.affected_systems or [])
    for name, column in _REFERENCES.items():
        out[name] = getattr(incident, column)
    if "tags" not in unloaded:
        out["tags"] = sorted(t.name for t in incident.tags)
    if "impacted_scopes" not in unloaded:
        out["impacted_scopes"] = sorted(str(s.id) for s in incident.impacted_scopes)
    return out


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Change]:
    return {
        name: Change(from_=before[name], to=after[name])
        for name in before
        if name in after and before[name] != after[name]
    }


async def _user(session: AsyncSession, user_id: uuid.UUID | None) -> UserRef | None:
    user = await session.get(User, user_id) if user_id else None
    return UserRef(id=user.id, username=user.username) if user else None


async def _team(session: AsyncSession, team_id: uuid.UUID | None) -> Ref | None:
    team = await session.get(Team, team_id) if team_id else None
    return Ref(id=team.id, name=team.name) if team else None


async def _tags(session: AsyncSession, incident: Incident) -> list[str]:
    if "tags" not in inspect(incident).unloaded:
        return sorted(t.name for t in incident.tags)
    names = await session.scalars(
        select(Tag.name)
        .join(incident_tags, incident_tags.c.tag_id == Tag.id)
        .where(incident_tags.c.incident_id == incident.id)
    )
    return sorted(names.all())


def _actor_of(session: AsyncSession, actor: User | None) -> UserRef | None:
    """The person (or, with no id, the integration) who caused the event."""
    if actor is not None:
        return UserRef(id=actor.id, username=actor.username)
    actor_id = session.info.get("actor_id")  # set by the API for the request's caller
    if actor_id is None:
        return None
    return UserRef(id=actor_id, username=session.info.get("actor_name", ""))


async def payload(
    session: AsyncSession,
    incident: Incident,
    actor: User | None,
    changes: dict[str, Change] | None = None,
) -> dict[str, Any]:
    service = await session.get(Service, incident.service_id)
    return IncidentEventData(
        incident_id=incident.id,
        id=incident.id,
        short_id=incident.short_id,
        title=incident.title,
        description=incident.description,
        severity=incident.severity,
        status=incident.status,
        service=Ref(id=incident.service_id, name=service.name if service else ""),
        lead=await _user(session, incident.lead_id),
        assigned_team=await _team(session, incident.assigned_team_id),
        assigned_user=await _user(session, incident.assigned_user_id),
        affected_systems=list(incident.affected_systems or []),
        tags=await _tags(session, incident),
        itsm_ticket_id=incident.itsm_ticket_id,
        war_room_link=incident.war_room_link,
        detected_at=incident.detected_at,
        created_at=incident.created_at,
        updated_at=incident.updated_at,
        acknowledged_at=incident.acknowledged_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        resolution_note=incident.resolution_note,
        root_cause=incident.root_cause,
        url=f"/api/v1/incidents/{incident.id}/",
        actor=_actor_of(session, actor),
        changes=changes or {},
    ).model_dump(mode="json")


async def _emit(
    session: AsyncSession,
    event_type: EventType,
    incident: Incident,
    actor: User | None,
    changes: dict[str, Change] | None = None,
) -> None:
    async def data() -> dict[str, Any]:
        return await payload(session, incident, actor, changes)

    await emit(session, event_type, data)


async def created(session: AsyncSession, incident: Incident, actor: User) -> None:
    await _emit(session, EventType.INCIDENT_CREATED, incident, actor)


async def moved(
    session: AsyncSession, incident: Incident, actor: User, before: str, verb: str
) -> None:
    """A lifecycle action (`verb`: acknowledged, mitigated, resolved, reopened) took place.

    Mitigating a TRIGGERED incident acknowledges it too: INCIDENT_ACKNOWLEDGED goes out first,
    so a receiver that stops paging on it hears of it.
    """
    changes = {"status": Change(from_=before, to=incident.status)}
    if verb == "mitigated" and before == Status.TRIGGERED:
        await _emit(session, EventType.INCIDENT_ACKNOWLEDGED, incident, actor, changes)
    await _emit(session, _ARRIVED[verb], incident, actor, changes)


async def updated(
    session: AsyncSession, incident: Incident, actor: User, before: dict[str, Any]
) -> None:
    """Fields changed since `before` (a `snapshot`): INCIDENT_ASSIGNED for the lead and the
    assignees, INCIDENT_UPDATED for everything else; each change is in exactly one event."""
    changes = _diff(before, snapshot(incident))
    assignment = {k: v for k, v in changes.items() if k in ASSIGNMENT_FIELDS}
    other = {k: v for k, v in changes.items() if k not in ASSIGNMENT_FIELDS}
    if other:
        await _emit(session, EventType.INCIDENT_UPDATED, incident, actor, other)
    if assignment:
        await _emit(session, EventType.INCIDENT_ASSIGNED, incident, actor, assignment)


async def deleted(session: AsyncSession, incident: Incident) -> None:
    """Call before deleting: the payload is the incident as it was (actor: the request's)."""
    await _emit(session, EventType.INCIDENT_DELETED, incident, None)
