"""Where a post's new firing alert goes: silenced, left without an incident (no service), or
into the open incident of its group, joined or opened; and, when its alerts have all ended,
what becomes of that incident. Works on the post's `Intake` (`imas.alerts.service.intake`)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts import repository
from imas.alerts.matchers import all_match
from imas.alerts.models import Integration, ResolveBehaviour, Silence
from imas.alerts.service.rows import AlertRow
from imas.alerts.sources.base import AlertIn
from imas.incidents import service as incidents
from imas.incidents.exceptions import IncidentAlreadyExists
from imas.incidents.models import Incident, Severity, Status, TimelineType
from imas.incidents.schemas import IncidentCreate, IncidentUpdate
from imas.incidents.service import timeline
from imas.orgs.models import User

if TYPE_CHECKING:
    from imas.alerts.service.intake import Intake

INCIDENT_TITLE_MAX = 200
INCIDENT_DESCRIPTION_MAX = 20_000


async def place(intake: Intake, alert: AlertRow, incoming: AlertIn) -> None:
    """Silence the alert, or say why it has no incident, or attach it to one."""
    integration = intake.integration
    if alert.service_id is None:
        alert.service_id = service_of(intake, incoming.service_name)
    alert.group_key = group_key(integration.grouping_labels, alert.labels, alert.service_id)
    silence = await _silence_for(intake, alert)
    if silence is not None:
        alert.silenced = True
        alert.silence_id = silence.id
        alert.intake_note = (
            f"Silenced until {silence.ends_at.isoformat().replace('+00:00', 'Z')}: no incident."
        )
        return
    alert.silenced = False
    alert.silence_id = None
    if alert.service_id is None:
        label = _service_label(integration)
        named = f" ('{incoming.service_name}')" if incoming.service_name else ""
        alert.intake_note = (
            f"No incident: the alert's {label}{named} names none of this organization's "
            f"services and integration '{integration.name}' has no default service."
        )
        return
    incident, opened = await _incident_for(intake, alert)
    alert.incident_id = incident.id
    alert.intake_note = None
    if not opened and _more_severe(alert.severity, incident.severity):
        await _raise_severity(intake, incident, alert)
    intake.timeline.append(
        timeline.row(
            incident,
            TimelineType.ALERT_ATTACHED,
            f"{'Opened by' if opened else 'Alert attached'}: {alert.title} "
            f"({integration.kind} '{integration.name}')",
            None,
            alert_id=str(alert.id),
            fingerprint=alert.fingerprint,
            integration_id=str(integration.id),
            source=integration.kind,
            opened=opened,
        )
    )


_RANK = {severity.value: rank for rank, severity in enumerate(Severity)}  # SEV1 first


def _more_severe(severity: str, than: str) -> bool:
    return _RANK.get(severity, len(_RANK)) < _RANK.get(than, len(_RANK))


async def _raise_severity(intake: Intake, incident: Incident, alert: AlertRow) -> None:
    """An alert more severe than the open incident it joins raises the incident's severity
    (never lowers it): a timeline entry and an INCIDENT_UPDATED event, like a person's edit."""
    await incidents.update_incident(
        intake.session, incident.id, intake.actor, IncidentUpdate(severity=alert.severity)
    )


def _service_label(integration: Integration) -> str:
    option = (integration.options or {}).get("service_label")
    return f"label '{option if isinstance(option, str) and option else 'service'}'"


def service_of(intake: Intake, name: str | None) -> uuid.UUID | None:
    if name:
        found = intake.services.get(name) or intake.services.get(name.lower())
        if found is not None:
            return found
    return intake.integration.default_service_id


def group_key(
    labels_used: Sequence[str], labels: Mapping[str, object], service_id: uuid.UUID | None
) -> str:
    """The hash of the grouping labels' values; `service` is the resolved service."""
    values = {
        name: str(service_id or "") if name == "service" else str(labels.get(name, ""))
        for name in labels_used
    }
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _silence_for(intake: Intake, alert: AlertRow) -> Silence | None:
    if intake.silences is None:
        intake.silences = await repository.active_silences(intake.session, intake.now)
    labels = {k: str(v) for k, v in alert.labels.items()}
    for silence in intake.silences:
        if all_match(silence.matchers, labels):
            return silence
    return None


async def _incident_for(intake: Intake, alert: AlertRow) -> tuple[Incident, bool]:
    """The open incident of the alert's group, else a new one; `True` when it is new."""
    session = intake.session
    known = intake.groups.get(alert.group_key)
    if known is not None and known.status != Status.RESOLVED:
        return known, False
    found = await _open_incident_of_group(intake, alert.group_key)
    if found is not None:
        return _joined(intake, alert.group_key, found), False
    assert alert.service_id is not None
    data = IncidentCreate(
        title=_cut(alert.title, INCIDENT_TITLE_MAX),
        description=_cut(alert.description, INCIDENT_DESCRIPTION_MAX),
        service=alert.service_id,
        severity=alert.severity,
        detected_at=min(alert.starts_at, intake.now) if alert.starts_at else intake.now,
    )
    try:
        opened = await incidents.create_incident(session, intake.actor, data)
    except IncidentAlreadyExists as exc:
        # An open incident of the same service and title (opened by hand, or by another
        # integration): the alert belongs with it.
        existing = await repository.lock_incident(session, uuid.UUID(exc.details["incident_id"]))
        if existing is None:
            raise
        return _joined(intake, alert.group_key, existing), False
    return _joined(intake, alert.group_key, opened), True


async def _open_incident_of_group(intake: Intake, key: str) -> Incident | None:
    """The group's open incident, locked: the one remembered if it is still open, else the
    newest open one its alerts are attached to."""
    session, integration = intake.session, intake.integration
    if key in intake.no_open_incident:
        return None
    remembered = intake.remembered.get((integration.id, key))
    if remembered is not None:
        locked = await repository.lock_incident(session, remembered)
        if locked is not None and locked.status != Status.RESOLVED:
            return locked
    grouped = await repository.open_incident_of_group(session, integration.id, key)
    if grouped is None:
        return None
    locked = await repository.lock_incident(session, grouped.id)
    return locked if locked is not None and locked.status != Status.RESOLVED else None


def _joined(intake: Intake, key: str, incident: Incident) -> Incident:
    intake.no_open_incident.discard(key)
    intake.groups[key] = incident
    intake.remembered[(intake.integration.id, key)] = incident.id
    return incident


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


async def settle_incident(
    session: AsyncSession, incident_id: uuid.UUID | None, behaviour: str, actor: User
) -> Incident | None:
    """Once no alert of the incident is unresolved, mitigate (or resolve) it; one already at
    (or past) that state is left as it is."""
    if incident_id is None:
        return None
    incident = await repository.lock_incident(session, incident_id)
    if incident is None or await repository.has_unresolved_alerts(session, incident.id):
        return incident
    note = "every alert of the incident is resolved"
    if behaviour == ResolveBehaviour.RESOLVE and incident.status != Status.RESOLVED:
        return await incidents.resolve(session, incident.id, actor, resolution_note=note)
    if behaviour == ResolveBehaviour.MITIGATE and incident.status in (
        Status.TRIGGERED,
        Status.ACKNOWLEDGED,
    ):
        return await incidents.mitigate(session, incident.id, actor, note)
    return incident
