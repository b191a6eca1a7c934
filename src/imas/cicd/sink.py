"""Incident events -> change events on the timeline: when an incident opens, the deployments,
CI runs and pushes of its service within their window before it join its timeline, in the
transaction that opened it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.cicd import repository
from imas.cicd.service import changes
from imas.events import EventType, sink
from imas.events.bus import MakeEvent
from imas.incidents.models import Incident


@sink
async def changes_to_new_incidents(
    session: AsyncSession, event_type: EventType, make: MakeEvent
) -> None:
    if event_type != EventType.INCIDENT_CREATED:
        return
    event = await make()
    incident = await session.get(Incident, uuid.UUID(event.data["incident_id"]))
    if incident is None or not await repository.any_change_of(session, incident.service_id):
        return
    await changes.onto_timeline(session, incident)
