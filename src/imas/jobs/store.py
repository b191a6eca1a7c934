"""The job table's state changes, as single statements a worker runs outside any org session.

Claiming is one transaction: up to `limit` due rows, most urgent priority first (pages before
bulk work), then one `UPDATE ... RETURNING` of them: with `FOR UPDATE SKIP LOCKED` on
PostgreSQL (concurrent workers take different rows), inside `BEGIN IMMEDIATE` on SQLite (one
writer at a time). Completing or failing checks that the worker still owns the lease, so a job
given to another worker after an expired lease is never finished twice.

What counts as an attempt: `attempts` goes up when a worker claims a job, and the attempt stays
counted once its handler has started, however the attempt ends - finished, failed, its worker
killed (the lease expires; `reap`) or cut off by a shutdown after the grace period
(`interrupt`). A cut-off attempt is queued again at once, or, if it was the last one, the job is
dead, as when its worker is killed: a handler cut off may already have had its effect (a webhook
sent but not yet recorded), so running it without limit could repeat that effect without limit.
Only a job claimed but never started is given back uncounted (`release`). Either way the work
runs again in full: handlers are idempotent and deliveries at least once, so a cut-off run that
had already reached its receiver means one duplicate there (the event id lets it be dropped).

A job that dies (out of attempts, a permanent failure, or its worker gone during its last
attempt) is handed, in the transaction that marks it dead, to its kind's `on_dead` hook, so the
domain's record of the work (a webhook delivery) is settled with it and never left pending.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import Row, Table, and_, bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from imas.db import Database, acting_in, utcnow
from imas.jobs.models import Job, JobPriority, JobStatus

log = structlog.get_logger("imas.jobs")

BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 3600.0
WORKER_DIED = "the worker stopped during the last attempt (its lease expired)"
CUT_OFF = "the worker shut down during the last attempt (cut off after its grace period)"


@dataclass(frozen=True)
class Claimed:
    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    organization_id: uuid.UUID
    attempt: int
    max_attempts: int
    run_at: datetime
    priority: int = JobPriority.NORMAL


@dataclass(frozen=True)
class Dead:
    """A job that has just died, as its kind's `on_dead` hook sees it."""

    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    organization_id: uuid.UUID
    attempts: int  # the number of the last attempt
    started_at: datetime | None  # when the last attempt started
    error: str  # why it died


OnDead = Callable[[AsyncSession, Dead], Awaitable[None]]
_DEAD_COLUMNS = (Job.id, Job.kind, Job.payload, Job.organization_id, Job.attempts, Job.started_at)


def backoff(attempt: int, rng: random.Random | None = None) -> timedelta:
    """Exponential with full jitter: up to base * 2^(attempt-1), capped."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


_ORDERED_SCAN = text("SET LOCAL enable_bitmapscan = off")
"""For the claim's transaction only. A queue's statistics are always stale (empty when last
analyzed, thousands of rows a second later): believing a handful of rows are due, PostgreSQL
picks a bitmap scan, which reads and sorts *every* due job to return the oldest few - a cost
that grows with the backlog, paid on every claim. The ordered index scan of `ix_jobs_due`
stops after `limit` rows whatever the backlog."""


async def claim(
    db: Database, owner: str, lease_seconds: float, limit: int = 1, *, others: int | None = None
) -> list[Claimed]:
    """Up to `limit` due jobs, most urgent first and oldest due first within a priority, leased
    to `owner`; of them at most `others` (if given) not URGENT. One bounded index range per
    priority (`ix_jobs_due`: status, priority, run_at), so the rows not yet due of an urgent
    priority (the later levels of every escalation under way) are never scanned to reach the
    due ones of the next."""
    now = utcnow()
    async with db.write_engine.begin() as conn:
        if db.dialect == "postgresql":
            await conn.execute(_ORDERED_SCAN)
        ids: list[uuid.UUID] = []
        urgent = 0  # how many of `ids` are URGENT
        for priority in JobPriority:
            room = limit - len(ids)
            if priority != JobPriority.URGENT and others is not None:
                room = min(room, others - (len(ids) - urgent))
            if room <= 0:
                break
            due = (
                select(Job.id)
                .where(Job.status == JobStatus.QUEUED, Job.priority == priority, Job.run_at <= now)
                .order_by(Job.run_at)
                .limit(room)
            )
            if db.dialect == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids.extend((await conn.execute(due)).scalars())
            if priority == JobPriority.URGENT:
                urgent = len(ids)
        if not ids:
            return []
        stmt = (
            update(Job)
            .where(Job.id.in_(ids))
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
                Job.priority,
            )
        )
        rows = (await conn.execute(stmt)).all()
    return sorted((Claimed(*row) for row in rows), key=lambda job: (job.priority, job.run_at))


def _owned(job_id: uuid.UUID, owner: str) -> Any:
    return and_(Job.id == job_id, Job.lease_owner == owner, Job.status == JobStatus.RUNNING)


async def _finish(db: Database, job_id: uuid.UUID, owner: str, **values: Any) -> bool:
    stmt = (
        update(Job)
        .where(_owned(job_id, owner))
        .values(lease_owner=None, lease_expires_at=None, **values)
    )
    async with db.write_engine.begin() as conn:
        return (await conn.execute(stmt)).rowcount == 1


async def succeed(db: Database, job: Claimed, owner: str) -> bool:
    return await _finish(
        db, job.id, owner, status=JobStatus.SUCCEEDED, finished_at=utcnow(), last_error=None
    )


_JOBS = cast(Table, Job.__table__)
_SUCCEED = (
    update(_JOBS)
    .where(
        _JOBS.c.id == bindparam("job_id"),
        _JOBS.c.lease_owner == bindparam("owner"),
        _JOBS.c.status == JobStatus.RUNNING,
    )
    .values(
        status=JobStatus.SUCCEEDED,
        finished_at=bindparam("now"),
        last_error=None,
        lease_owner=None,
        lease_expires_at=None,
    )
)


_SUCCEED_MANY = (
    update(_JOBS)
    .where(
        _JOBS.c.id.in_(bindparam("job_ids", expanding=True)),
        _JOBS.c.lease_owner == bindparam("owner"),
        _JOBS.c.status == JobStatus.RUNNING,
    )
    .values(
        status=JobStatus.SUCCEEDED,
        finished_at=bindparam("now"),
        last_error=None,
        lease_owner=None,
        lease_expires_at=None,
    )
    .returning(_JOBS.c.id)
)


async def succeed_in(
    session: AsyncSession | AsyncConnection, job_id: uuid.UUID, owner: str
) -> bool:
    """`succeed` inside the caller's transaction (a handler's last one)."""
    params = {"job_id": job_id, "owner": owner, "now": utcnow()}
    result: Any = await session.execute(_SUCCEED, params)
    return bool(result.rowcount == 1)


async def succeed_many_in(
    session: AsyncSession | AsyncConnection, owner: str, job_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """`succeed_in` for several jobs of one owner in one statement; returns those it
    completed (the others' leases were lost)."""
    params = {"job_ids": list(job_ids), "owner": owner, "now": utcnow()}
    return set((await session.execute(_SUCCEED_MANY, params)).scalars())


async def _bury(
    session: AsyncSession, rows: Sequence[Row[Any]], error: str, on_dead: OnDead | None
) -> None:
    """Hand each newly dead job to the hook, each in a savepoint: a hook that fails is logged
    and does not keep the job (or the other jobs) from dying."""
    if on_dead is None:
        return
    for row in rows:
        job_id, kind, payload, organization_id, attempts, started_at = tuple(row)
        dead = Dead(job_id, kind, payload, organization_id, attempts, started_at, error)
        try:
            async with session.begin_nested():
                with acting_in(session, dead.organization_id):
                    await on_dead(session, dead)
        except Exception as exc:
            log.warning("on_dead_failed", kind=dead.kind, job_id=str(dead.id), error=str(exc))


async def _die(db: Database, job: Claimed, owner: str, error: str, on_dead: OnDead | None) -> bool:
    async with db.transaction() as session:
        rows = (
            await session.execute(
                update(Job)
                .where(_owned(job.id, owner))
                .values(
                    status=JobStatus.DEAD,
                    lease_owner=None,
                    lease_expires_at=None,
                    finished_at=utcnow(),
                    last_error=error[:4000],
                )
                .returning(*_DEAD_COLUMNS)
                .execution_options(synchronize_session=False)
            )
        ).all()
        await _bury(session, rows, error, on_dead)
    return bool(rows)


async def fail(
    db: Database,
    job: Claimed,
    owner: str,
    error: str,
    *,
    permanent: bool = False,
    on_dead: OnDead | None = None,
) -> str:
    """Back to the queue after a backoff, or dead when out of attempts. Returns the new status."""
    if permanent or job.attempt >= job.max_attempts:
        await _die(db, job, owner, error, on_dead)
        return JobStatus.DEAD
    run_at = utcnow() + backoff(job.attempt)
    await _finish(
        db, job.id, owner, status=JobStatus.QUEUED, run_at=run_at, last_error=error[:4000]
    )
    return JobStatus.QUEUED


async def release(db: Database, job: Claimed, owner: str) -> bool:
    """Give back a job whose handler never started (shutdown): its attempt does not count."""
    return await _finish(db, job.id, owner, status=JobStatus.QUEUED, attempts=Job.attempts - 1)


async def interrupt(
    db: Database, job: Claimed, owner: str, *, on_dead: OnDead | None = None
) -> str:
    """Give back a job whose handler was cut off (shutdown after the grace period): the attempt
    counts; the job runs again at once, or is dead if that was its last attempt."""
    if job.attempt >= job.max_attempts:
        await _die(db, job, owner, CUT_OFF, on_dead)
        return JobStatus.DEAD
    await _finish(db, job.id, owner, status=JobStatus.QUEUED, run_at=utcnow())
    return JobStatus.QUEUED


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


async def reap(db: Database, on_dead: OnDead | None = None) -> int:
    """Jobs whose worker vanished (lease expired) are queued again, or die out of attempts."""
    now = utcnow()
    expired = and_(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now)
    async with db.transaction() as session:
        dead = (
            await session.execute(
                update(Job)
                .where(expired, Job.attempts >= Job.max_attempts)
                .values(
                    status=JobStatus.DEAD,
                    lease_owner=None,
                    lease_expires_at=None,
                    finished_at=now,
                    last_error=WORKER_DIED,
                )
                .returning(*_DEAD_COLUMNS)
                .execution_options(synchronize_session=False)
            )
        ).all()
        requeued: Any = await session.execute(
            update(Job)
            .where(expired, Job.attempts < Job.max_attempts)
            .values(status=JobStatus.QUEUED, lease_owner=None, lease_expires_at=None, run_at=now)
            .execution_options(synchronize_session=False)
        )
        await _bury(session, dead, WORKER_DIED, on_dead)
    return len(dead) + int(requeued.rowcount)


async def next_due_in(db: Database) -> float | None:
    """Seconds until the next queued job is due (None when the queue is empty)."""
    async with db.engine.connect() as conn:
        soonest = await conn.scalar(
            select(func.min(Job.run_at)).where(or_(Job.status == JobStatus.QUEUED))
        )
    if soonest is None:
        return None
    return max(0.0, (soonest - utcnow()).total_seconds())
