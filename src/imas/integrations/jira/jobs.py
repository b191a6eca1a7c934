"""The JIRA jobs: create an incident's issue, move it along with the incident.

Both may run twice (at least once) and each holds its incident's (or issue's) row locked while it
talks to JIRA, so two never work on one incident at once. Creating does nothing once the incident
has an issue (a worker that dies between JIRA's answer and the commit does leave a second issue
on its retry: JIRA has no idempotency key); moving does nothing when the issue is already in a
status that expresses the incident's (see `client.move_issue`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.incidents.models import Incident, Status
from imas.integrations.common import record_link
from imas.integrations.jira import client, mapping, repository
from imas.integrations.jira.exceptions import JiraFailure
from imas.integrations.jira.models import JiraConfig, JiraIssue
from imas.integrations.jira.outbox import CREATE_JOB, MAX_ATTEMPTS, PUSH_JOB
from imas.jobs.queue import enqueue
from imas.jobs.registry import JobContext, PermanentFailure, handler

SUMMARY_MAX = 255


def _failed(exc: JiraFailure) -> Exception:
    return PermanentFailure(str(exc)) if exc.permanent else exc


def _fields(config: JiraConfig, incident: Incident) -> dict[str, Any]:
    description = (
        f"IMAS incident {incident.short_id} ({incident.severity}, {incident.status}).\n\n"
        f"{incident.description}"
    ).strip()
    return {
        "project": {"key": config.project_key},
        "summary": f"[{incident.short_id}] {incident.title}"[:SUMMARY_MAX],
        "description": description,
        "issuetype": {"name": config.issue_type},
        "labels": ["imas", incident.short_id.lower()],
    }


async def _bind(session: AsyncSession, ctx: JobContext) -> None:
    session.info["organization_id"] = ctx.organization_id


@handler(CREATE_JOB)
async def create_issue(ctx: JobContext, payload: dict[str, Any]) -> None:
    incident_id = uuid.UUID(str(payload["incident_id"]))
    async with ctx.db.transaction() as session:
        await _bind(session, ctx)
        config = await repository.active_config(session)
        incident = await repository.lock_incident(session, incident_id)
        if config is None or incident is None or incident.itsm_ticket_id:
            return
        if await repository.issue_of(session, incident_id) is not None:
            return
        try:
            key = await client.run(
                config, ctx.settings, client.create_issue(_fields(config, incident))
            )
        except JiraFailure as exc:
            raise _failed(exc) from exc
        session.add(JiraIssue(incident_id=incident_id, issue_key=key))
        await record_link(session, incident, "itsm_ticket_id", key, f"JIRA issue {key} created")
        if incident.status != Status.TRIGGERED:  # it moved before its issue existed
            await enqueue(
                session,
                PUSH_JOB,
                {"incident_id": str(incident_id), "verb": incident.status.lower(), "actor": "IMAS"},
                max_attempts=MAX_ATTEMPTS,
            )


@handler(PUSH_JOB)
async def push_status(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Moves the issue to what the incident's status is *now* (not at the event): jobs that run
    late or out of order still leave the issue where the incident is."""
    incident_id = uuid.UUID(str(payload["incident_id"]))
    async with ctx.db.transaction() as session:
        await _bind(session, ctx)
        config = await repository.active_config(session)
        link = await repository.lock_issue_of(session, incident_id)
        incident = await repository.lock_incident(session, incident_id)
        if config is None or link is None or incident is None:
            return
        wanted = mapping.OUTBOUND[Status(incident.status)]
        comment = (
            f"[IMAS] {incident.short_id} {payload.get('verb', 'changed')} by "
            f"{payload.get('actor', 'IMAS')}: the incident is {incident.status}."
        )
        try:
            status, moved = await client.run(
                config, ctx.settings, client.move_issue(link.issue_key, wanted, comment)
            )
        except JiraFailure as exc:
            raise _failed(exc) from exc
        link.jira_status = status
        if moved:
            link.pushed_status = status  # its webhook, when it comes, is this change's echo
