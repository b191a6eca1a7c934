"""Runs followed live: what `/ws/runs/{id}/` sends (`status_update` as the run moves, `log`
for each line of its log) and, for an action that asks for it (`Action.live`: Ansible), a
watcher beside the executing action that saves its log lines twice a second (so they are read
and sent while it runs, not only at its end) and cancels it when a stop is requested.

Messages go out through `imas.realtime` once their transaction commits, to every IMAS
process's clients of the run's organization."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation.actions.base import Outcome
from imas.automation.models import Run, RunStatus
from imas.db import acting_in
from imas.jobs.registry import JobContext
from imas.realtime.sink import publish

if TYPE_CHECKING:
    from imas.automation.service.engine import RunLogBook

log = structlog.get_logger("imas.automation")
WATCH_SECONDS = 0.5
FINAL = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
STOPPED = "stopped on request"


def _time(value: Any) -> Any:
    return value.isoformat().replace("+00:00", "Z") if hasattr(value, "isoformat") else value


def status_update(run: Run) -> dict[str, Any]:
    return {
        "type": "status_update",
        "data": {
            "run_id": str(run.id),
            "action": run.action,
            "status": str(run.status),
            "attempt": run.attempt,
            "error": run.error,
            "started_at": _time(run.started_at),
            "finished_at": _time(run.finished_at),
        },
    }


def log_line(run_id: uuid.UUID, row: dict[str, Any]) -> dict[str, Any]:
    task_id = row.get("task_id")
    return {
        "type": "log",
        "data": {
            "run_id": str(run_id),
            "seq": row["seq"],
            "timestamp": _time(row["timestamp"]),
            "level": row["level"],
            "message": row["message"],
            "task_id": str(task_id) if task_id else None,
        },
    }


def publish_logs(session: AsyncSession, run_id: uuid.UUID, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        publish(session, log_line(run_id, row))


def publish_status(session: AsyncSession, run: Run) -> None:
    if run.pipeline_id is None:  # a data pipeline's run has its own (seed 003) messages
        publish(session, status_update(run))


async def watched(
    job: JobContext,
    run_id: uuid.UUID,
    task_id: uuid.UUID,
    book: RunLogBook,
    work: Coroutine[Any, Any, Outcome],
) -> Outcome:
    """`work`'s outcome, its log saved while it runs; a stop request cancels it."""
    running = asyncio.ensure_future(work)
    while True:
        done, _ = await asyncio.wait({running}, timeout=WATCH_SECONDS)
        if done:
            return running.result()
        if await _save(job, run_id, task_id, book):
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
            book.write("warning", f"Run {STOPPED}")
            return Outcome(False, {"cancelled": True}, error=STOPPED)


async def _save(job: JobContext, run_id: uuid.UUID, task_id: uuid.UUID, book: RunLogBook) -> bool:
    """Save (and send) the lines written since the last save; True when a stop is asked."""
    from imas.automation.service.engine import RunLogBook, write_logs

    pending = list(book.lines)
    del book.lines[: len(pending)]
    try:
        async with job.db.transaction(write=bool(pending)) as session:
            with acting_in(session, job.organization_id):
                run = await session.get(Run, run_id, populate_existing=True)
                if pending:
                    rows = await write_logs(session, run_id, task_id, RunLogBook(pending))
                    publish_logs(session, run_id, rows)
                return run is None or run.cancel_requested or run.status != RunStatus.RUNNING
    except Exception as exc:  # the database hiccups: keep the lines for the next save
        book.lines[:0] = pending
        log.warning("automation_live_save_failed", run_id=str(run_id), error=type(exc).__name__)
        return False
