"""TRIGGERED -> ACKNOWLEDGED -> MITIGATED -> RESOLVED, and reopen.

Each transition re-reads the incident under a row lock (PostgreSQL) or inside the BEGIN IMMEDIATE
write transaction (SQLite), so two simultaneous acknowledges leave exactly one acknowledgement:
the second sees ACKNOWLEDGED and gets a 409.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.audit.recorder import label
from imas.db import utcnow
from imas.events import incidents as incident_events
from imas.incidents import repository
from imas.incidents.exceptions import InvalidTransition
from imas.incidents.models import Incident, Status, TimelineType
from imas.incidents.service import timeline
from imas.incidents.service.create import already_exists
from imas.orgs.models import User

ALLOWED_FROM: dict[str, frozenset[Status]] = {
    "acknowledge": frozenset({Status.TRIGGERED}),
    "mitigate": frozenset({Status.TRIGGERED, Status.ACKNOWLEDGED}),
    "resolve": frozenset({Status.TRIGGERED, Status.ACKNOWLEDGED, Status.MITIGATED}),
    "reopen": frozenset({Status.RESOLVED}),
}
_DONE = {
    "acknowledge": Status.ACKNOWLEDGED,
    "mitigate": Status.MITIGATED,
    "resolve": Status.RESOLVED,
}
_PAST = {
    "acknowledge": "acknowledged",
    "mitigate": "mitigated",
    "resolve": "resolved",
    "reopen": "reopened",
}


def _check(incident: Incident, action: str) -> None:
    if incident.status in ALLOWED_FROM[action]:
        return
    allowed = sorted(ALLOWED_FROM[action])
    if _DONE.get(action) == incident.status:
        message = f"Incident {incident.short_id} is already {incident.status}."
    else:
        message = (
            f"Incident {incident.short_id} is {incident.status}; only an incident that is "
            f"{' or '.join(allowed)} can be {_PAST[action]}."
        )
        if incident.status == Status.RESOLVED:
            message += " Reopen it first."
    raise InvalidTransition(
        message, details={"current_status": incident.status, "allowed_from": allowed}
    )


def _note(text: str, message: str | None) -> str:
    return f"{text}: {message}" if message else text


async def _move(
    session: AsyncSession, incident: Incident, to: Status, actor: User, verb: str, message: str
) -> Incident:
    before = incident.status
    incident.status = to
    label(session, incident, verb)
    timeline.record(
        session,
        incident,
        TimelineType.STATUS_CHANGE,
        message,
        actor,
        from_status=before,
        to_status=to,
    )
    await session.flush()
    await incident_events.moved(session, incident, actor, before, verb)
    return incident


async def acknowledge(
    session: AsyncSession, incident_id: uuid.UUID, actor: User, message: str | None = None
) -> Incident:
    incident = await repository.lock(session, incident_id)
    _check(incident, "acknowledge")
    incident.acknowledged_at = utcnow()
    incident.acknowledged_by_id = actor.id
    text = _note(f"Acknowledged by {actor.username}", message)
    return await _move(session, incident, Status.ACKNOWLEDGED, actor, "acknowledged", text)


async def mitigate(
    session: AsyncSession, incident_id: uuid.UUID, actor: User, message: str | None = None
) -> Incident:
    """Impact stopped; a TRIGGERED incident is acknowledged by the same act."""
    incident = await repository.lock(session, incident_id)
    _check(incident, "mitigate")
    now = utcnow()
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
        incident.acknowledged_by_id = actor.id
    incident.mitigated_at = now
    text = _note(f"Mitigated by {actor.username}", message)
    return await _move(session, incident, Status.MITIGATED, actor, "mitigated", text)


async def resolve(
    session: AsyncSession,
    incident_id: uuid.UUID,
    actor: User,
    resolution_note: str | None = None,
    root_cause: str | None = None,
) -> Incident:
    incident = await repository.lock(session, incident_id)
    _check(incident, "resolve")
    incident.resolved_at = utcnow()
    incident.resolved_by_id = actor.id
    incident.resolution_note = resolution_note
    incident.root_cause = root_cause
    text = _note(f"Resolved by {actor.username}", resolution_note)
    return await _move(session, incident, Status.RESOLVED, actor, "resolved", text)


async def reopen(
    session: AsyncSession, incident_id: uuid.UUID, actor: User, message: str | None = None
) -> Incident:
    """Back to TRIGGERED, to be acknowledged and resolved again (the timeline keeps the past)."""
    incident = await repository.lock(session, incident_id)
    _check(incident, "reopen")
    incident.resolved_at = None
    incident.resolved_by_id = None
    incident.acknowledged_at = None
    incident.acknowledged_by_id = None
    incident.mitigated_at = None
    text = _note(f"Reopened by {actor.username}", message)
    service_id, title = incident.service_id, incident.title  # the rollback below expires them
    try:
        async with session.begin_nested():
            return await _move(session, incident, Status.TRIGGERED, actor, "reopened", text)
    except IntegrityError:
        existing = await repository.open_duplicate(session, service_id, title)
        if existing is None:
            raise
        raise already_exists(existing) from None


async def transition(
    session: AsyncSession,
    incident_id: uuid.UUID,
    actor: User,
    to: Status,
    message: str | None = None,
) -> Incident:
    """Move to `to` by the matching action (what `PATCH {"status": ...}` does)."""
    if to == Status.ACKNOWLEDGED:
        return await acknowledge(session, incident_id, actor, message)
    if to == Status.MITIGATED:
        return await mitigate(session, incident_id, actor, message)
    if to == Status.RESOLVED:
        return await resolve(session, incident_id, actor)
    return await reopen(session, incident_id, actor, message)
