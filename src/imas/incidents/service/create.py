from __future__ import annotations

import secrets
import string
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog import lookups
from imas.db import utcnow
from imas.errors import ValidationFailed
from imas.events import incidents as incident_events
from imas.incidents import repository
from imas.incidents.exceptions import IncidentAlreadyExists
from imas.incidents.models import Incident, Status, TimelineType
from imas.incidents.schemas import IncidentCreate
from imas.incidents.service import refs, timeline
from imas.orgs.models import User

_ALPHABET = string.ascii_uppercase + string.digits
CLOCK_SKEW = timedelta(minutes=5)


def new_short_id() -> str:
    return "INC-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def already_exists(existing: Incident) -> IncidentAlreadyExists:
    return IncidentAlreadyExists(
        f"An open incident with this title already exists for this service: {existing.short_id}. "
        "Use it, or resolve it first.",
        details={"incident_id": str(existing.id), "short_id": existing.short_id},
    )


async def create_incident(session: AsyncSession, actor: User, data: IncidentCreate) -> Incident:
    """A new TRIGGERED incident; 409 if the service already has an open one with this title."""
    now = utcnow()
    detected_at = data.detected_at or now
    if detected_at > now + CLOCK_SKEW:
        raise ValidationFailed.field("detected_at", "cannot be in the future")
    service = await lookups.service_ref(session, data.service)
    scopes = await lookups.impact_scope_refs(session, data.impacted_scopes)
    lead = await refs.member(session, data.lead, "lead") if data.lead else actor
    team = (
        await lookups.team_ref(session, data.assigned_team, "assigned_team")
        if data.assigned_team
        else None
    )
    assignee = (
        await refs.member(session, data.assigned_user, "assigned_user")
        if data.assigned_user
        else None
    )
    tags = await lookups.tags_by_name(session, data.tags)
    existing = await repository.open_duplicate(session, service.id, data.title)
    if existing is not None:
        raise already_exists(existing)

    for _ in range(5):  # a new short id if one collides
        incident = Incident(
            short_id=new_short_id(),
            title=data.title,
            description=data.description,
            severity=data.severity,
            status=Status.TRIGGERED,
            service_id=service.id,
            lead_id=lead.id,
            assigned_team_id=team.id if team else None,
            assigned_user_id=assignee.id if assignee else None,
            affected_systems=list(data.affected_systems),
            source_query=data.source_query,
            war_room_link=str(data.war_room_link) if data.war_room_link else None,
            lid_link=str(data.lid_link) if data.lid_link else None,
            itsm_ticket_id=data.itsm_ticket_id,
            detected_at=detected_at,
            created_at=now,
            updated_at=now,
        )
        incident.tags = tags
        incident.impacted_scopes = scopes
        try:
            async with session.begin_nested():
                session.add(incident)
                await session.flush()
        except IntegrityError:
            existing = await repository.open_duplicate(session, service.id, data.title)
            if existing is not None:  # a concurrent create won the race
                raise already_exists(existing) from None
            continue
        timeline.record(
            session,
            incident,
            TimelineType.STATUS_CHANGE,
            "Incident created",
            actor,
            status=Status.TRIGGERED,
            severity=data.severity,
        )
        if team or assignee:
            who = " / ".join(
                x for x in (team.name if team else "", assignee.username if assignee else "") if x
            )
            timeline.record(session, incident, TimelineType.ASSIGNMENT, f"Assigned to {who}", actor)
        await session.flush()
        await incident_events.created(session, incident, actor)
        return incident
    raise RuntimeError("could not allocate a unique incident short id")
