"""Incident events -> JIRA jobs, in the transaction of the change.

INCIDENT_CREATED of a configured severity (or an incident raised to one later, without a ticket):
a job to create its issue. A status change of an incident that has an issue: a job to move the
issue along - unless the change came from JIRA's own webhook (`common.ORIGIN`), which would be
an echo.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.events import EventType, sink
from imas.events.bus import MakeEvent
from imas.integrations.common import ORIGIN
from imas.integrations.jira import repository
from imas.jobs.queue import enqueue

CREATE_JOB = "jira.create_issue"
PUSH_JOB = "jira.push_status"
MAX_ATTEMPTS = 8

STATUS_EVENTS = {
    EventType.INCIDENT_ACKNOWLEDGED: "acknowledged",
    EventType.INCIDENT_MITIGATED: "mitigated",
    EventType.INCIDENT_RESOLVED: "resolved",
    EventType.INCIDENT_REOPENED: "reopened",
}


@sink
async def to_jira(session: AsyncSession, event_type: EventType, make: MakeEvent) -> None:
    watched = event_type in (EventType.INCIDENT_CREATED, EventType.INCIDENT_UPDATED)
    if not watched and event_type not in STATUS_EVENTS:
        return
    config = await repository.active_config(session)
    if config is None:
        return
    event = await make()
    data = event.data
    job = {"incident_id": str(data["id"])}
    if watched:
        raised = event_type == EventType.INCIDENT_CREATED or "severity" in data["changes"]
        if raised and data["severity"] in (config.severities or []) and not data["itsm_ticket_id"]:
            await enqueue(session, CREATE_JOB, job, max_attempts=MAX_ATTEMPTS)
        return
    if session.info.get(ORIGIN) == "jira":
        return
    if await repository.issue_of(session, uuid.UUID(str(data["id"]))) is None:
        return
    actor = (data.get("actor") or {}).get("username") or "IMAS"
    await enqueue(
        session,
        PUSH_JOB,
        job | {"verb": STATUS_EVENTS[event_type], "actor": actor},
        max_attempts=MAX_ATTEMPTS,
    )
