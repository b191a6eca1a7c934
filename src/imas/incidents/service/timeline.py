from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import utcnow
from imas.incidents.models import Incident, TimelineEntry, TimelineType
from imas.orgs.models import User


def record(
    session: AsyncSession,
    incident: Incident,
    kind: TimelineType,
    message: str,
    actor: User | None,
    **data: Any,
) -> TimelineEntry:
    """Add a typed entry to the incident's timeline (flushed with the change it describes)."""
    entry = TimelineEntry(
        organization_id=incident.organization_id,
        incident_id=incident.id,
        type=kind,
        message=message,
        actor_id=actor.id if actor else None,
        data=data,
        timestamp=utcnow(),
    )
    session.add(entry)
    return entry
