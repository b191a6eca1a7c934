"""Executing one step of a run, in three parts, so that no action is executed twice for one
attempt, whatever dies when:

1. In a transaction: check the job is still the run's current step, record a RunTask for it
   (status running) and commit. If that task already exists, a worker began this step and
   stopped (killed, lease expired): its action may or may not have acted, so it is not run
   again; the task is marked `unknown` and counts as a failed attempt.
2. Outside any transaction: run the action, bounded by the run's timeout (a `live` action's
   log is saved while it runs, and a stop request cancels it: `imas.automation.service.live`).
3. In a transaction: record the outcome, the logs, and what follows (success, the next
   attempt after a backoff, failure for good, waiting for a callback or a confirmation),
   with the job's completion in the same commit.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import structlog
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation import repository
from imas.automation import secrets as sealed
from imas.automation.actions import registry
from imas.automation.actions.base import (
    Action,
    ActionContext,
    ActionFailed,
    ExecutorInfo,
    IncidentInfo,
    Outcome,
)
from imas.automation.models import ACTIVE, Run, RunLog, RunStatus, RunTask, TaskStatus, Trigger
from imas.automation.service import effects, live
from imas.automation.service.runs import schedule
from imas.catalog.models import Service
from imas.config import Settings
from imas.db import acting_in, utcnow
from imas.errors import IMASError
from imas.incidents.models import Incident
from imas.jobs.registry import JobContext

log = structlog.get_logger("imas.automation")
CALLBACK_PATH = "/api/v1/remediation/callback/"
HTTP_TIMEOUT = 30.0
LOG_MESSAGE_MAX = 2000
LOAD_ERROR = "load_error"


@dataclass(frozen=True, slots=True)
class LogLine:
    timestamp: datetime
    level: str
    message: str
    task_id: uuid.UUID | None = None
    context: dict[str, Any] | None = None


@dataclass
class RunLogBook:
    """The lines an execution writes, kept until its outcome is recorded."""

    lines: list[LogLine] = field(default_factory=list)

    def write(
        self,
        level: str,
        message: str,
        *,
        task_id: uuid.UUID | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        self.lines.append(
            LogLine(utcnow(), level.lower(), message[:LOG_MESSAGE_MAX], task_id, context)
        )


@dataclass
class Prepared:
    action: Action
    context: ActionContext
    task_id: uuid.UUID
    timeout: float
    dry_run: bool


async def execute_step(ctx: JobContext, run_id: uuid.UUID, step: int) -> None:
    book = RunLogBook()
    async with ctx.db.transaction() as session:
        with acting_in(session, ctx.organization_id):
            prepared = await _begin(session, ctx.settings, run_id, step, book)
            live.publish_logs(session, run_id, await write_logs(session, run_id, None, book))
    if prepared is None:
        return
    if prepared.action.live:
        outcome = await live.watched(ctx, run_id, prepared.task_id, book, _run(prepared, book))
    else:
        outcome = await _run(prepared, book)
    async with ctx.db.transaction() as session:
        with acting_in(session, ctx.organization_id):
            await _finish(session, ctx.settings, run_id, step, prepared, outcome, book)
            await ctx.succeed_in(session)


async def _begin(
    session: AsyncSession, settings: Settings, run_id: uuid.UUID, step: int, book: RunLogBook
) -> Prepared | None:
    run = await repository.lock_run(session, run_id)
    if run is None or run.step != step:
        return None  # a stale or repeated job: the run has moved on
    if run.status == RunStatus.RUNNING:
        task = await repository.task_of_step(session, run.id, step)
        if task is not None:
            await _interrupted(session, settings, run, task, book)
        return None
    if run.status not in (RunStatus.QUEUED, RunStatus.RETRYING):
        return None  # cancelled, or waiting for a person or a callback
    resuming = bool(run.state.get("confirmed_by"))
    if not resuming:
        run.attempt += 1
    run.status = RunStatus.RUNNING
    run.started_at = run.started_at or utcnow()
    task = RunTask(
        run_id=run.id,
        step=step,
        attempt=run.attempt,
        name=f"{run.action}: " + (f"attempt {run.attempt}" if not resuming else "resumed"),
    )
    session.add(task)
    book.write(
        "info",
        f"{'Dry run of' if run.dry_run else 'Starting'} {run.action} "
        f"(attempt {run.attempt} of {run.max_retries})",
    )
    if not resuming:
        await effects.started(session, run)
    await session.flush()
    live.publish_status(session, run)
    action = registry.get(run.action)
    params = action.Params.model_validate(run.parameters)
    context = ActionContext(
        run_id=run.id,
        attempt=run.attempt,
        params=params,
        http=httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False, trust_env=False),
        settings=settings,
        log=book.write,
        executor=await _executor_info(session, run, settings),
        incident=await _incident_info(session, run.incident_id),
        callback_url=settings.public_url.rstrip("/") + CALLBACK_PATH,
        callback_secret=sealed.open_callback_secret(
            run.callback_secret_encrypted, settings.secret_key
        )
        or "",
        state=dict(run.state),
        loaded=await _load(session, action, params, settings),
    )
    return Prepared(action, context, task.id, float(run.timeout_seconds), run.dry_run)


async def _load(
    session: AsyncSession, action: Action, params: Any, settings: Settings
) -> dict[str, Any]:
    try:
        return await action.load(session, params, settings)
    except IMASError as exc:  # gone since the run was requested (a deleted runbook)
        return {LOAD_ERROR: exc.message}


async def _interrupted(
    session: AsyncSession, settings: Settings, run: Run, task: RunTask, book: RunLogBook
) -> None:
    task.status = TaskStatus.UNKNOWN
    task.finished_at = utcnow()
    task.error = (
        "the worker stopped while this attempt ran: whether the action acted is unknown, "
        "so it is not run again"
    )
    book.write("error", f"Attempt {task.attempt}: {task.error}")
    await after_failure(session, settings, run, task.error, book)


async def _executor_info(
    session: AsyncSession, run: Run, settings: Settings
) -> ExecutorInfo | None:
    if run.executor_id is None:
        return None
    executor = await repository.executor(session, run.executor_id)
    return ExecutorInfo(
        name=executor.name,
        kind=executor.kind,
        base_url=executor.base_url,
        config=dict(executor.config),
        credentials=sealed.open_credentials(executor.credentials_encrypted, settings.secret_key),
    )


async def _incident_info(
    session: AsyncSession, incident_id: uuid.UUID | None
) -> IncidentInfo | None:
    if incident_id is None:
        return None
    incident = await session.get(Incident, incident_id)
    if incident is None:
        return None
    service = await session.get(Service, incident.service_id)
    return IncidentInfo(
        id=str(incident.id),
        short_id=incident.short_id,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        service=service.name if service else "",
    )


async def _run(prepared: Prepared, book: RunLogBook) -> Outcome:
    action, ctx = prepared.action, prepared.context
    try:
        if LOAD_ERROR in ctx.loaded:
            raise ActionFailed(str(ctx.loaded[LOAD_ERROR]))
        if prepared.dry_run:
            plan = action.plan(ctx)
            book.write("info", "Dry run: nothing was executed")
            return Outcome(True, {"dry_run": True, "plan": plan})
        async with asyncio.timeout(prepared.timeout):
            return await action.run(ctx)
    except ActionFailed as exc:
        book.write("error", str(exc))
        return Outcome(False, exc.details, error=str(exc))
    except TimeoutError:
        message = f"timed out after {prepared.timeout:g} s"
        book.write("error", message)
        return Outcome(False, {"timed_out": True}, error=message)
    except httpx.HTTPError as exc:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        book.write("error", message)
        return Outcome(False, {}, error=message)
    except Exception as exc:  # an action's bug must fail the attempt, not the worker
        log.exception("automation_action_crashed", action=action.kind)
        message = f"the action failed unexpectedly: {type(exc).__name__}"
        book.write("error", message)
        return Outcome(False, {}, error=message)
    finally:
        await ctx.http.aclose()


async def _finish(
    session: AsyncSession,
    settings: Settings,
    run_id: uuid.UUID,
    step: int,
    prepared: Prepared,
    outcome: Outcome,
    book: RunLogBook,
) -> None:
    run = await repository.lock_run(session, run_id)
    task = await session.get(RunTask, prepared.task_id)
    if run is None or task is None:
        return
    task.status = (
        TaskStatus.WAITING
        if outcome.waiting
        else TaskStatus.SUCCEEDED
        if outcome.success
        else TaskStatus.FAILED
    )
    task.details = outcome.details
    task.error = outcome.error
    task.finished_at = utcnow()
    if run.status == RunStatus.CANCELLED or run.step != step:
        pass  # cancelled (or moved on) while the action ran: its outcome is only recorded
    elif run.cancel_requested:
        await effects.cancelled(session, run, "request")
    elif outcome.waiting:
        run.status = RunStatus.WAITING
        run.state = {**outcome.state, "waiting": outcome.waiting}
        run.result = outcome.details
        book.write("info", f"Waiting for {outcome.waiting}")
    elif outcome.success:
        await effects.succeeded(session, run, outcome.details)
        book.write("info", "Succeeded")
    else:
        await after_failure(session, settings, run, outcome.error or "failed", book)
    live.publish_logs(session, run.id, await write_logs(session, run.id, task.id, book))
    live.publish_status(session, run)


async def after_failure(
    session: AsyncSession, settings: Settings, run: Run, error: str, book: RunLogBook
) -> float | None:
    """The attempt failed: the next one after a backoff, or failure for good. Returns the
    delay of the next attempt (None when there is none)."""
    run.error = error
    run.state = {}
    if run.attempt < run.max_retries and not run.cancel_requested:
        delay = retry_delay(settings, run.attempt)
        run.status = RunStatus.RETRYING
        if run.trigger != Trigger.EXTERNAL:  # an external remediation retries on its own
            await schedule(session, run, delay)
        book.write(
            "warning", f"Attempt {run.attempt} failed; attempt {run.attempt + 1} in {delay:g} s"
        )
        return delay
    await effects.failed(session, run, error)
    book.write("error", f"Failed after {run.attempt} attempt(s)")
    return None


async def abandon(session: AsyncSession, run_id: uuid.UUID, step: int, error: str) -> None:
    run = await repository.lock_run(session, run_id)
    if run is None or run.step != step or run.status not in ACTIVE:
        return
    book = RunLogBook()
    book.write("error", f"The run's job died: {error}")
    await effects.failed(session, run, f"its job died: {error}")
    await write_logs(session, run.id, None, book)


def retry_delay(settings: Settings, attempt: int) -> float:
    """Doubling from `automation_retry_seconds` after each failed attempt."""
    return float(settings.automation_retry_seconds * 2 ** (attempt - 1))


async def write_logs(
    session: AsyncSession, run_id: uuid.UUID, task_id: uuid.UUID | None, book: RunLogBook
) -> list[dict[str, Any]]:
    """Save the book's lines (then emptied); the rows written."""
    if not book.lines:
        return []
    seq = await repository.last_log_seq(session, run_id)
    rows: list[dict[str, Any]] = []
    for line in book.lines:
        seq += 1
        rows.append(
            {
                "id": uuid.uuid4(),
                "organization_id": session.info["organization_id"],
                "run_id": run_id,
                "task_id": line.task_id or task_id,
                "seq": seq,
                "timestamp": line.timestamp,
                "level": line.level,
                "message": line.message,
                "context": line.context,
            }
        )
    book.lines.clear()
    await session.execute(insert(RunLog), rows)
    return rows
