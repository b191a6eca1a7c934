"""Seed 004's Auto-Remediation Callback: a remote remediation (a Logic App rerunning a Data
Factory pipeline) reports an attempt's end. `succeeded` closes the incident (`ticket_closed`,
with its MTTR); `failed` / `timeout` start the next attempt after a backoff (`retrying`) or,
attempts exhausted, leave the incident `applied_not_solved` and escalating (`escalated`);
`in_progress` is noted. A callback already applied changes nothing and gets the same answer.

Authenticated by an integration key of the incident's organization, or by
`X-Signature-256: sha256=<hex HMAC-SHA256(run's callback secret, raw body)>` (the secret IMAS
gave the remote with the run)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation import repository
from imas.automation import secrets as sealed
from imas.automation.models import Run, RunStatus, RunTask, TaskStatus, Trigger
from imas.automation.schemas import CallbackBody
from imas.automation.service import effects
from imas.automation.service.engine import RunLogBook, after_failure, write_logs
from imas.config import Settings
from imas.db import utcnow
from imas.errors import Conflict, NotAuthenticated, ValidationFailed
from imas.incidents import repository as incidents
from imas.incidents.models import Incident
from imas.integrations.slack import repository as slack

EXTERNAL_ATTEMPTS = 3
"""Attempts allowed to a remediation IMAS did not start (the seed's `max_retries`)."""
SIGNATURE_HEADER = "X-Signature-256"


def signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


async def incident_for_signature(session: AsyncSession, ticket_id: str) -> Incident | None:
    """The incident a signed callback names, in whatever organization (the signature, checked
    next against that incident's run, is what authenticates)."""
    stmt = select(Incident).where(incidents.key(ticket_id)).execution_options(all_orgs=True)
    return await session.scalar(stmt)


def check_signature(run: Run | None, raw: bytes, given: str, settings: Settings) -> None:
    secret = (
        sealed.open_callback_secret(run.callback_secret_encrypted, settings.secret_key)
        if run
        else None
    )
    if not secret or not hmac.compare_digest(signature(secret, raw), given.strip()):
        raise NotAuthenticated(
            "The callback's X-Signature-256 does not match the run's callback secret.",
            details={"reason": "bad signature"},
            error="Invalid signature",
            code="invalid_signature",
        )


async def run_for(
    session: AsyncSession, incident: Incident, run_id: uuid.UUID | None
) -> Run | None:
    if run_id is not None:
        run = await session.get(Run, run_id)
        return run if run is not None and run.incident_id == incident.id else None
    return await repository.active_run(session, incident.id) or await repository.latest_run(
        session, incident.id
    )


async def apply(
    session: AsyncSession,
    incident: Incident,
    run: Run | None,
    body: CallbackBody,
    settings: Settings,
) -> dict[str, Any]:
    if run is None:
        run = _external(incident, body)
        session.add(run)
        await session.flush()
        await effects.started(session, run)
    locked = await repository.lock_run(session, run.id)
    assert locked is not None
    run = locked
    key = f"{body.attempt_number}:{body.status}"
    if key in run.callbacks:
        answer: dict[str, Any] = run.callbacks[key]
        return answer
    if run.trigger == Trigger.EXTERNAL and run.attempt < body.attempt_number <= run.max_retries:
        run.attempt = body.attempt_number  # the remote retried on its own
        run.status = RunStatus.WAITING
        await effects.started(session, run)
    _check_attempt(run, body.attempt_number)
    book = RunLogBook()
    book.write(
        "info",
        f"Callback: attempt {body.attempt_number} {body.status}"
        + (f" (remote run {body.remediation_run_id})" if body.remediation_run_id else ""),
    )
    answer = await _answer(session, incident, run, body, settings, book)
    run.callbacks = {**run.callbacks, key: answer}
    await write_logs(session, run.id, None, book)
    return answer


def _external(incident: Incident, body: CallbackBody) -> Run:
    return Run(
        id=uuid.uuid4(),
        incident_id=incident.id,
        action="logic_app_trigger",
        parameters={"payload": body.model_dump(mode="json", exclude_none=True)},
        status=RunStatus.WAITING,
        trigger=Trigger.EXTERNAL,
        resolve_incident=True,
        attempt=body.attempt_number,
        max_retries=max(EXTERNAL_ATTEMPTS, body.attempt_number),
        started_at=body.started_at or utcnow(),
        state={"waiting": "callback"},
    )


def _check_attempt(run: Run, attempt: int) -> None:
    if attempt < 1 or attempt > run.max_retries:
        raise ValidationFailed.field(
            "attempt_number", f"must be between 1 and {run.max_retries} (the run's max_retries)"
        )
    if attempt != run.attempt:
        raise ValidationFailed.field(
            "attempt_number",
            f"the run is at attempt {run.attempt}; attempt {attempt} is not the one under way",
        )
    if run.status not in (RunStatus.WAITING, RunStatus.RUNNING, RunStatus.RETRYING):
        raise Conflict(
            f"The run is already {run.status}: a different report of it cannot be applied.",
            details={"status": run.status},
        )


async def _answer(
    session: AsyncSession,
    incident: Incident,
    run: Run,
    body: CallbackBody,
    settings: Settings,
    book: RunLogBook,
) -> dict[str, Any]:
    ticket = incident.short_id
    details = body.model_dump(mode="json", exclude_none=True)
    if body.status == "in_progress":
        return {"status": "in_progress", "ticket_id": ticket, "attempt_number": run.attempt}
    await _end_task(session, run, body.status == "succeeded", details)
    if body.status == "succeeded":
        run.resolve_incident = True
        await effects.succeeded(session, run, details)
        resolved = await incidents.lock(session, incident.id)
        minutes = ((resolved.resolved_at or utcnow()) - resolved.created_at).total_seconds() / 60
        return {
            "status": "ticket_closed",
            "ticket_id": ticket,
            "mttr_minutes": round(minutes, 1),
            "jira_updated": resolved.itsm_ticket_id is not None,
            "slack_updated": await slack.message_of(session, incident.id) is not None,
            "remediation_status": resolved.remediation_status,
        }
    error = f"the remote remediation reported {body.status}"
    delay = await after_failure(session, settings, run, error, book)
    if delay is not None:
        return {
            "status": "retrying",
            "ticket_id": ticket,
            "attempt_number": run.attempt + 1,
            "max_retries": run.max_retries,
            "next_retry_in_seconds": int(delay),
            "remediation_status": incident.remediation_status,
        }
    return {
        "status": "escalated",
        "ticket_id": ticket,
        "attempts": run.attempt,
        "remediation_status": incident.remediation_status,
        "message": "All retry attempts exhausted, manual intervention required",
    }


async def _end_task(
    session: AsyncSession, run: Run, success: bool, details: dict[str, Any]
) -> None:
    task = await session.scalar(
        select(RunTask)
        .where(RunTask.run_id == run.id, RunTask.attempt == run.attempt)
        .order_by(RunTask.step.desc())
        .limit(1)
    )
    if task is None:
        return
    task.status = TaskStatus.SUCCEEDED if success else TaskStatus.FAILED
    task.details = {**task.details, "callback": details}
    task.finished_at = utcnow()
