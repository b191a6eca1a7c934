from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import new_id, utcnow
from imas.incidents.models import Incident, TimelineEntry, TimelineType
from imas.orgs.models import User

_TIMELINE = cast(Table, TimelineEntry.__table__)


def record(
    session: AsyncSession,
    incident: Incident,
    kind: TimelineType,
    message: str,
    actor: User | None,
    **data: Any,
) -> TimelineEntry:
    """Add a typed entry to the incident's timeline (flushed with the change it describes)."""
    entry = TimelineEntry(**row(incident, kind, message, actor, **data))
    session.add(entry)
    return entry


def row(
    incident: Incident, kind: TimelineType, message: str, actor: User | None, **data: Any
) -> dict[str, Any]:
    """The columns of a timeline entry, for callers that insert many at once (`insert_rows`)."""
    return {
        "id": new_id(),
        "organization_id": incident.organization_id,
        "incident_id": incident.id,
        "type": kind,
        "message": message,
        "actor_id": actor.id if actor else None,
        "data": data,
        "timestamp": utcnow(),
    }


async def insert_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert entries made by `row` in one statement (the alert intake attaches hundreds)."""
    if rows:
        await session.execute(insert(_TIMELINE), rows)
