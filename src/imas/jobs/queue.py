"""Enqueueing: a job is a row in the caller's transaction, so it exists iff the change does."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from imas.db import TenantSession, org_of, utcnow
from imas.jobs.models import Job, JobPriority

NOTIFY_CHANNEL = "imas_jobs"
_local_listeners: set[Callable[[], None]] = set()


def on_enqueue(callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` after each commit that enqueued jobs in this process; returns an undo."""
    _local_listeners.add(callback)
    return lambda: _local_listeners.discard(callback)


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    max_attempts: int = 10,
    priority: JobPriority = JobPriority.NORMAL,
) -> Job:
    job = Job(
        id=uuid.uuid4(),  # known now: inserted with the transaction's next flush
        organization_id=org_of(session),
        kind=kind,
        payload=payload,
        run_at=run_at or utcnow(),
        max_attempts=max_attempts,
        priority=priority,
    )
    session.add(job)
    session.info["jobs_enqueued"] = True
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":  # delivered to LISTENing workers at commit
        await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
    return job


@event.listens_for(TenantSession, "after_commit")
def _wake_local_workers(session: Session) -> None:
    if session.info.pop("jobs_enqueued", False):
        for callback in list(_local_listeners):
            callback()


@event.listens_for(TenantSession, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop("jobs_enqueued", None)
