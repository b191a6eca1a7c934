"""What both integrations need from IMAS: who acts, and telling the rest of IMAS what changed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.auth.scopes import INCIDENT_WRITE, ROLE_SCOPES
from imas.events import EventType, emit
from imas.events import incidents as incident_events
from imas.incidents.models import Incident, TimelineType
from imas.incidents.service import timeline
from imas.orgs.models import Membership, Role, User

ORIGIN = "integration_origin"
"""`session.info` key: the integration whose inbound call caused the changes of this
transaction, so that integration's own sink does not push them back to it (an echo loop)."""


async def member_by_email(session: AsyncSession, email: str) -> Membership | None:
    """The active member of the session's organization with this e-mail (case-insensitive)."""
    if not email:
        return None
    stmt = (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(func.lower(User.email) == email.strip().lower(), User.is_active.is_(True))
    )
    membership = await session.scalar(stmt)
    if membership is None:
        return None
    await session.refresh(membership, ["user"])
    return membership


def can_write_incidents(membership: Membership) -> bool:
    return INCIDENT_WRITE in ROLE_SCOPES.get(Role(membership.role), frozenset())


def integration_actor(name: str) -> User:
    """A stand-in for "the integration did it" where no IMAS user can be named: never added to
    a session; its `id` is None, so timeline entries and events carry no user id."""
    return User(id=None, username=name, email=None)


async def record_link(
    session: AsyncSession, incident: Incident, field: str, value: str, message: str
) -> None:
    """Set a link field of the incident (`war_room_link`, `itsm_ticket_id`) an integration made,
    with a timeline entry and an INCIDENT_UPDATED event."""
    before = getattr(incident, field)
    setattr(incident, field, value)
    timeline.record(
        session, incident, TimelineType.FIELD_CHANGE, message, None, field=field, to=value
    )
    await session.flush()
    changes = {field: incident_events.Change(from_=before, to=value)}

    async def data() -> dict[str, Any]:
        return await incident_events.payload(session, incident, None, changes)

    await emit(session, EventType.INCIDENT_UPDATED, data)
