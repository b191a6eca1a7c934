"""The job table's state changes, as single statements a worker runs outside any org session.

Claiming is one `UPDATE ... RETURNING` over due rows: with `FOR UPDATE SKIP LOCKED` on
PostgreSQL (concurrent workers take different rows), inside `BEGIN IMMEDIATE` on SQLite (one
writer at a time). Completing or failing checks that the worker still owns the lease, so a job
given to another worker after an expired lease is never finished twice.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from imas.db import Database, utcnow
from imas.jobs.models import Job, JobStatus

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    organization_id: uuid.UUID
    attempt: int
    max_attempts: int
    run_at: datetime


def backoff(attempt: int, rng: random.Random | None = None) -> timedelta:
    """Exponential with full jitter: up to base * 2^(attempt-1), capped."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


async def claim(db: Database, owner: str, lease_seconds: float, limit: int = 1) -> list[Claimed]:
    now = utcnow()
    due = (
        select(Job.id)
        .where(Job.status == JobStatus.QUEUED, Job.run_at <= now)
        .order_by(Job.run_at)
        .limit(limit)
    )
    if db.dialect == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (
        update(Job)
        .where(Job.id.in_(due.scalar_subquery()))
        .values(
            status=JobStatus.RUNNING,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            attempts=Job.attempts + 1,
            started_at=now,
        )
        .returning(
            Job.id,
            Job.kind,
            Job.payload,
            Job.organization_id,
            Job.attempts,
            Job.max_attempts,
            Job.run_at,
        )
    )
    async with db.write_engine.begin() as conn:
        rows = (await conn.execute(stmt)).all()
    return [Claimed(*row) for row in rows]


async def _finish(db: Database, job_id: uuid.UUID, owner: str, **values: Any) -> bool:
    stmt = (
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == owner, Job.status == JobStatus.RUNNING)
        .values(lease_owner=None, lease_expires_at=None, **values)
    )
    async with db.write_engine.begin() as conn:
        return (await conn.execute(stmt)).rowcount == 1


async def succeed(db: Database, job: Claimed, owner: str) -> bool:
    return await _finish(
        db, job.id, owner, status=JobStatus.SUCCEEDED, finished_at=utcnow(), last_error=None
    )


async def fail(
    db: Database, job: Claimed, owner: str, error: str, *, permanent: bool = False
) -> str:
    """Back to the queue after a backoff, or dead when out of attempts. Returns the new status."""
    if permanent or job.attempt >= job.max_attempts:
        await _finish(
            db, job.id, owner, status=JobStatus.DEAD, finished_at=utcnow(), last_error=error[:4000]
        )
        return JobStatus.DEAD
    run_at = utcnow() + backoff(job.attempt)
    await _finish(
        db, job.id, owner, status=JobStatus.QUEUED, run_at=run_at, last_error=error[:4000]
    )
    return JobStatus.QUEUED


async def release(db: Database, job: Claimed, owner: str) -> bool:
    """Give a job back untouched (shutdown): its attempt does not count."""
    return await _finish(db, job.id, owner, status=JobStatus.QUEUED, attempts=Job.attempts - 1)


async def heartbeat(
    db: Database, owner: str, job_ids: list[uuid.UUID], lease_seconds: float
) -> None:
    if not job_ids:
        return
    stmt = (
        update(Job)
        .where(Job.id.in_(job_ids), Job.lease_owner == owner, Job.status == JobStatus.RUNNING)
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
    )
    async with db.write_engine.begin() as conn:
        await conn.execute(stmt)


async def reap(db: Database) -> int:
    """Jobs whose worker vanished (lease expired) are queued again, or die out of attempts."""
    now = utcnow()
    expired = and_(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now)
    async with db.write_engine.begin() as conn:
        dead = await conn.execute(
            update(Job)
            .where(expired, Job.attempts >= Job.max_attempts)
            .values(
                status=JobStatus.DEAD,
                lease_owner=None,
                lease_expires_at=None,
                finished_at=now,
                last_error=func.coalesce(Job.last_error, "lease expired: the worker stopped"),
            )
        )
        requeued = await conn.execute(
            update(Job)
            .where(expired, Job.attempts < Job.max_attempts)
            .values(status=JobStatus.QUEUED, lease_owner=None, lease_expires_at=None, run_at=now)
        )
    return int(dead.rowcount + requeued.rowcount)


async def next_due_in(db: Database) -> float | None:
    """Seconds until the next queued job is due (None when the queue is empty)."""
    async with db.engine.connect() as conn:
        soonest = await conn.scalar(
            select(func.min(Job.run_at)).where(or_(Job.status == JobStatus.QUEUED))
        )
    if soonest is None:
        return None
    return max(0.0, (soonest - utcnow()).total_seconds())
