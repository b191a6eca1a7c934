"""A worker: claims due jobs, runs their handlers, renews its leases, returns what it drops.

Any number of workers may run against one PostgreSQL database. They wake on `NOTIFY imas_jobs`
(sent in the enqueueing transaction) and otherwise poll; in-process they also wake when a
commit in the same process enqueued something. A worker runs up to `concurrency` jobs at once,
plus up to `urgent_slots` more that only URGENT jobs (pages, escalation steps) take: a page
never waits for a slot held by bulk work, and pages, which mostly wait on their receiver, go
out many at a time. It claims as many due jobs as it has free slots in one transaction (during
a backlog, once half its slots are free), most urgent first. Each handler runs as a task of its
own; what the handlers of a kind share (an HTTP connection pool) is entered once per worker
(`registry.resource`), and a kind's `on_dead` hook settles its record of the work when one of
its jobs dies.

Stopping: no new job is claimed; the jobs in hand get the grace period to finish; a handler
still running then is cut off and its job given back with the attempt counted (queued again at
once, or dead if it was the last attempt - see `imas.jobs.store` for why, and for the duplicate
a cut-off webhook may cause at its receiver).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import socket
import time
import uuid
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.db import Database, listen, utcnow
from imas.jobs import registry, store
from imas.jobs.models import JobPriority
from imas.jobs.queue import NOTIFY_CHANNEL, on_enqueue
from imas.metrics import JOB_DURATION, JOB_LAG, JOBS_FINISHED

log = structlog.get_logger("imas.jobs")

WIND_DOWN_SECONDS = 10.0  # for cut-off jobs to be given back, after the grace period
URGENT_SLOTS = 12  # beyond `concurrency`, for URGENT jobs only


class Worker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        concurrency: int = 4,
        urgent_slots: int = URGENT_SLOTS,
        poll_interval: float = 1.0,
        lease_seconds: float | None = None,
        grace_seconds: float = 20.0,
        name: str | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.concurrency = concurrency
        self.slots = concurrency + urgent_slots
        self.poll_interval = poll_interval
        self.lease_seconds = lease_seconds or settings.worker_lease_seconds
        self.grace_seconds = grace_seconds
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wake = asyncio.Event()  # jobs may be due (or stop)
        self._freed = asyncio.Event()  # a slot came free (or stop)
        self._stopping = asyncio.Event()
        self._in_hand: dict[uuid.UUID, store.Claimed] = {}  # claimed, not finished
        self._handlers: dict[uuid.UUID, asyncio.Task[None]] = {}  # handlers running now
        self._runs: set[asyncio.Task[None]] = set()
        self._others: set[asyncio.Task[None]] = set()  # the runs of jobs not URGENT
        self._others_capped = False  # the last claim took as many of them as it could
        registry.load_handlers()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._freed.set()

    async def run(self) -> None:
        log.info("worker_started", worker=self.name, concurrency=self.concurrency)
        undo = on_enqueue(self.wake)
        listener = await self._listen()
        keeper = asyncio.create_task(self._keep_leases())
        try:
            async with contextlib.AsyncExitStack() as shared:
                for resource in registry.resources():
                    await shared.enter_async_context(resource())
                try:
                    await self._claim_until_stopped()
                finally:
                    await self._wind_down()
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            for job in list(self._in_hand.values()):  # claimed, never started
                with contextlib.suppress(Exception):
                    await store.release(self.db, job, self.name)
            undo()
            if listener is not None:
                await listener.close()
            log.info("worker_stopped", worker=self.name)

    async def _listen(self) -> Any:
        return await listen(self.db, NOTIFY_CHANNEL, lambda _: self.wake())  # None: we poll

    async def _claim_until_stopped(self) -> None:
        """Claim as many due jobs as there are free slots. While the queue has more due jobs
        than slots (a backlog), wait until half the slots are free before claiming again: one
        claim then serves several jobs instead of one claim per finished job. Jobs other than
        URGENT take only the first `concurrency` slots; when they had filled them, a claim is
        made again once half of those are free (they may still be due)."""
        batch = max(1, self.slots // 2)
        drained = True
        while not self._stopping.is_set():
            free = self.slots - len(self._runs)
            if free >= (1 if drained else batch):
                others = max(0, self.concurrency - len(self._others))
                self._wake.clear()  # before claiming: a NOTIFY meanwhile is not lost
                try:
                    claimed = await store.claim(
                        self.db, self.name, self.lease_seconds, free, others=others
                    )
                except Exception as exc:
                    log.warning("claim_failed", error=str(exc))
                    claimed = []
                for job in claimed:
                    self._start(job)
                self._others_capped = (
                    sum(job.priority != JobPriority.URGENT for job in claimed) >= others
                )
                drained = len(claimed) < free
                if self._stopping.is_set():
                    return
                if drained:  # nothing more is due: wait for news, or poll
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)
                    continue
            self._freed.clear()  # slots busy: wait for one to come free
            if self.slots - len(self._runs) < (1 if drained else batch):
                await self._freed.wait()

    def _start(self, job: store.Claimed) -> None:
        self._in_hand[job.id] = job
        task = asyncio.create_task(self._run(job))
        self._runs.add(task)
        if job.priority != JobPriority.URGENT:
            self._others.add(task)
        task.add_done_callback(self._ran)

    def _ran(self, task: asyncio.Task[None]) -> None:
        self._runs.discard(task)
        if task in self._others:
            self._others.discard(task)
            if self._others_capped and len(self._others) <= self.concurrency // 2:
                self._others_capped = False
                self._wake.set()  # their slots are free again: more of them may be due
        self._freed.set()

    async def _wind_down(self) -> None:
        if not self._runs:
            return
        _, pending = await asyncio.wait(self._runs, timeout=self.grace_seconds)
        if not pending:
            return
        for handler in list(self._handlers.values()):
            handler.cancel()
        _, stuck = await asyncio.wait(pending, timeout=WIND_DOWN_SECONDS)
        for task in stuck:  # giving back failed too: their leases will expire
            task.cancel()
        await asyncio.gather(*stuck, return_exceptions=True)

    async def _on_dead(self, session: AsyncSession, dead: store.Dead) -> None:
        hook = registry.find_on_dead(dead.kind)
        if hook is not None:
            await hook(session, dead)

    async def _run(self, job: store.Claimed) -> None:
        started = time.perf_counter()
        JOB_LAG.labels(job.kind).observe(max(0.0, (utcnow() - job.run_at).total_seconds()))
        try:
            outcome = await self._handle(job)
        except Exception as exc:  # the database failed us: the lease will expire
            outcome = "unrecorded"
            log.warning("job_finish_failed", kind=job.kind, job_id=str(job.id), error=str(exc))
        finally:
            self._in_hand.pop(job.id, None)
        JOBS_FINISHED.labels(job.kind, outcome).inc()
        JOB_DURATION.labels(job.kind).observe(time.perf_counter() - started)

    async def _handle(self, job: store.Claimed) -> str:
        """Run the handler (as a task of its own, so that a shutdown can cut it off alone) and
        record how it went; returns the outcome for the metrics."""
        handler = registry.find(job.kind)
        if handler is None:
            error = f"no handler for job kind {job.kind!r}"
            return await store.fail(
                self.db, job, self.name, error, permanent=True, on_dead=self._on_dead
            )
        context = registry.JobContext(
            db=self.db,
            settings=self.settings,
            job_id=job.id,
            organization_id=job.organization_id,
            attempt=job.attempt,
            max_attempts=job.max_attempts,
            worker=self.name,
        )

        async def handle() -> None:
            await handler(context, job.payload)

        task = asyncio.create_task(handle())
        self._handlers[job.id] = task
        try:
            await asyncio.wait([task])
        except asyncio.CancelledError:
            task.cancel()
            raise
        finally:
            self._handlers.pop(job.id, None)
        if task.cancelled():
            outcome = await store.interrupt(self.db, job, self.name, on_dead=self._on_dead)
            log.warning("job_cut_off", kind=job.kind, job_id=str(job.id), now=outcome)
            return "cut_off"
        failure = task.exception()
        if isinstance(failure, registry.PermanentFailure):
            return await store.fail(
                self.db, job, self.name, str(failure), permanent=True, on_dead=self._on_dead
            )
        if failure is not None:
            error = f"{type(failure).__name__}: {failure}"
            log.warning(
                "job_failed", kind=job.kind, job_id=str(job.id), attempt=job.attempt, error=error
            )
            return await store.fail(self.db, job, self.name, error, on_dead=self._on_dead)
        done = context.completion.succeeded
        if done is None:
            done = await store.succeed(self.db, job, self.name)
        if not done:
            log.warning("lease_lost", kind=job.kind, job_id=str(job.id))
            return "lease_lost"
        return "succeeded"

    async def _keep_leases(self) -> None:
        """Renew the leases of jobs in hand, and give back jobs whose worker vanished."""
        while True:
            await asyncio.sleep(self.lease_seconds / 4)
            try:
                await store.heartbeat(self.db, self.name, list(self._in_hand), self.lease_seconds)
                reaped = await store.reap(self.db, on_dead=self._on_dead)
                if reaped:
                    log.info("jobs_reaped", count=reaped)
                    self.wake()
            except Exception as exc:
                log.warning("lease_keeping_failed", error=str(exc))


def pool_size_for(settings: Settings, concurrency: int) -> Settings:
    """Settings whose connection pool keeps a connection for each job running at once, plus
    the claims and the lease keeper: with fewer, connections beyond the pool are opened and
    closed for every use, a new PostgreSQL server process each time."""
    needed = concurrency + 2
    if settings.db_pool_size >= needed:
        return settings
    return settings.model_copy(update={"db_pool_size": needed})


async def run_worker(settings: Settings, concurrency: int, stop: asyncio.Event) -> None:
    """Run one worker until `stop` is set (the `imas worker` command)."""
    settings = pool_size_for(settings, concurrency)
    db = Database(settings)
    worker = Worker(db, settings, concurrency=concurrency)
    task = asyncio.create_task(worker.run())
    gc.freeze()  # what start-up made is never collected: see imas.api.app's lifespan
    await stop.wait()
    worker.stop()
    await task
    await db.dispose()
