"""Incident events -> Slack jobs, in the transaction of the change.

On INCIDENT_CREATED (with an active configuration): the incident's message row (no `ts` yet) and
a job to post it to the default channel; for the configured severities a job to open a war room
(also when an incident is raised to such a severity later). On every later incident event of an
incident that has a message (remediation events included): a job to update it in place. The
jobs render the incident as it is when they run, so however they interleave the message ends
showing the latest state.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.events import EventType, sink
from imas.events.bus import MakeEvent
from imas.integrations.slack import repository
from imas.integrations.slack.models import SlackMessage
from imas.jobs.queue import enqueue

MESSAGE_JOB = "slack.incident_message"
WAR_ROOM_JOB = "slack.war_room"
MAX_ATTEMPTS = 8

_LATER = frozenset(
    {
        EventType.INCIDENT_UPDATED,
        EventType.INCIDENT_ASSIGNED,
        EventType.INCIDENT_ACKNOWLEDGED,
        EventType.INCIDENT_MITIGATED,
        EventType.INCIDENT_RESOLVED,
        EventType.INCIDENT_REOPENED,
        EventType.REMEDIATION_STARTED,
        EventType.REMEDIATION_SUCCEEDED,
        EventType.REMEDIATION_FAILED,
    }
)


@sink
async def to_slack(session: AsyncSession, event_type: EventType, make: MakeEvent) -> None:
    if event_type != EventType.INCIDENT_CREATED and event_type not in _LATER:
        return
    config = await repository.active_config(session)
    if config is None:
        return
    event = await make()
    incident_id = uuid.UUID(str(event.data["id"]))
    job = {"incident_id": str(incident_id)}
    wants_war_room = event.data["severity"] in (config.war_room_severities or [])
    if event_type == EventType.INCIDENT_CREATED:
        session.add(SlackMessage(incident_id=incident_id, channel=config.default_channel))
        await enqueue(session, MESSAGE_JOB, job, max_attempts=MAX_ATTEMPTS)
        if wants_war_room:
            await enqueue(session, WAR_ROOM_JOB, job, max_attempts=MAX_ATTEMPTS)
        await session.flush()
        return
    if await repository.message_of(session, incident_id) is not None:
        await enqueue(session, MESSAGE_JOB, job, max_attempts=MAX_ATTEMPTS)
    raised = event_type == EventType.INCIDENT_UPDATED and "severity" in event.data["changes"]
    if raised and wants_war_room and not event.data.get("war_room_link"):
        await enqueue(session, WAR_ROOM_JOB, job, max_attempts=MAX_ATTEMPTS)
