"""Incident events -> escalations, in the transaction of the change: an incident opened
TRIGGERED on a service with a policy starts it; acknowledging, mitigating or resolving stops
it (the step jobs also check, so a step already queued pages nobody)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.events import EventType, sink
from imas.events.bus import MakeEvent
from imas.incidents.models import Incident
from imas.oncall import repository
from imas.oncall.service import escalation

_STOPPING = {
    EventType.INCIDENT_ACKNOWLEDGED: "acknowledged",
    EventType.INCIDENT_MITIGATED: "mitigated",
    EventType.INCIDENT_RESOLVED: "resolved",
}


@sink
async def to_escalations(session: AsyncSession, event_type: EventType, make: MakeEvent) -> None:
    if event_type == EventType.INCIDENT_CREATED:
        if not await repository.any_service_with_policy(session):
            return
        event = await make()
        incident = await session.get(Incident, uuid.UUID(event.data["incident_id"]))
        if incident is not None:
            await escalation.start(session, incident, event.occurred_at)
    elif event_type in _STOPPING:
        if not await repository.any_active_escalation(session):
            return
        event = await make()
        incident = await session.get(Incident, uuid.UUID(event.data["incident_id"]))
        if incident is None:
            return
        actor = (event.data.get("actor") or {}).get("username")
        reason = _STOPPING[event_type] + (f" by {actor}" if actor else "")
        await escalation.stop(session, incident, reason)
