"""A worker: claims due jobs, runs their handlers, renews its leases, returns what it drops.

Any number of workers may run against one PostgreSQL database. They wake on `NOTIFY imas_jobs`
(sent in the enqueueing transaction) and otherwise poll; in-process they also wake when a
commit in the same process enqueued something. Stopping finishes the jobs in hand within the
grace period, then gives back the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
import uuid
from typing import Any

import structlog
from sqlalchemy.engine import make_url

from imas.config import Settings
from imas.db import Database, utcnow
from imas.jobs import registry, store
from imas.jobs.queue import NOTIFY_CHANNEL, on_enqueue
from imas.metrics import JOB_DURATION, JOB_LAG, JOBS_FINISHED

log = structlog.get_logger("imas.jobs")


class Worker:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        concurrency: int = 4,
        poll_interval: float = 1.0,
        lease_seconds: float | None = None,
        grace_seconds: float = 20.0,
        name: str | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.lease_seconds = lease_seconds or settings.worker_lease_seconds
        self.grace_seconds = grace_seconds
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._in_hand: dict[uuid.UUID, store.Claimed] = {}
        registry.load_handlers()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def run(self) -> None:
        log.info("worker_started", worker=self.name, concurrency=self.concurrency)
        undo = on_enqueue(self.wake)
        listener = await self._listen()
        slots = [asyncio.create_task(self._slot()) for _ in range(self.concurrency)]
        keeper = asyncio.create_task(self._keep_leases())
        try:
            await self._stopping.wait()
            _, pending = await asyncio.wait(slots, timeout=self.grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        finally:
            keeper.cancel()
            await asyncio.gather(keeper, return_exceptions=True)
            for job in list(self._in_hand.values()):
                await store.release(self.db, job, self.name)
            undo()
            if listener is not None:
                await listener.close()
            log.info("worker_stopped", worker=self.name)

    async def _listen(self) -> Any:
        if self.db.dialect != "postgresql":
            return None
        import asyncpg  # type: ignore[import-untyped]

        dsn = (
            make_url(self.db.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        try:
            conn = await asyncpg.connect(dsn)
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self.wake())
        except Exception as exc:  # polling still works
            log.warning("listen_failed", error=str(exc))
            return None
        return conn

    async def _slot(self) -> None:
        while not self._stopping.is_set():
            try:
                claimed = await store.claim(self.db, self.name, self.lease_seconds)
            except Exception as exc:
                log.warning("claim_failed", error=str(exc))
                claimed = []
            if claimed:
                await self._run(claimed[0])
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_interval)

    async def _run(self, job: store.Claimed) -> None:
        self._in_hand[job.id] = job
        started = time.perf_counter()
        JOB_LAG.labels(job.kind).observe(max(0.0, (utcnow() - job.run_at).total_seconds()))
        handler = registry.find(job.kind)
        outcome = "succeeded"
        try:
            if handler is None:
                raise registry.PermanentFailure(f"no handler for job kind {job.kind!r}")
            context = registry.JobContext(
                db=self.db,
                settings=self.settings,
                job_id=job.id,
                organization_id=job.organization_id,
                attempt=job.attempt,
                max_attempts=job.max_attempts,
            )
            await handler(context, job.payload)
        except asyncio.CancelledError:
            self._in_hand.pop(job.id, None)
            await store.release(self.db, job, self.name)
            raise
        except registry.PermanentFailure as exc:
            outcome = await store.fail(self.db, job, self.name, str(exc), permanent=True)
        except Exception as exc:
            log.warning(
                "job_failed", kind=job.kind, job_id=str(job.id), attempt=job.attempt, error=str(exc)
            )
            outcome = await store.fail(self.db, job, self.name, f"{type(exc).__name__}: {exc}")
        else:
            if not await store.succeed(self.db, job, self.name):
                outcome = "lease_lost"
                log.warning("lease_lost", kind=job.kind, job_id=str(job.id))
        finally:
            self._in_hand.pop(job.id, None)
        JOBS_FINISHED.labels(job.kind, outcome).inc()
        JOB_DURATION.labels(job.kind).observe(time.perf_counter() - started)

    async def _keep_leases(self) -> None:
        """Renew the leases of jobs in hand, and give back jobs whose worker vanished."""
        while True:
            await asyncio.sleep(self.lease_seconds / 4)
            try:
                await store.heartbeat(self.db, self.name, list(self._in_hand), self.lease_seconds)
                reaped = await store.reap(self.db)
                if reaped:
                    log.info("jobs_reaped", count=reaped)
                    self.wake()
            except Exception as exc:
                log.warning("lease_keeping_failed", error=str(exc))


async def run_worker(settings: Settings, concurrency: int, stop: asyncio.Event) -> None:
    """Run one worker until `stop` is set (the `imas worker` command)."""
    db = Database(settings)
    worker = Worker(db, settings, concurrency=concurrency)
    task = asyncio.create_task(worker.run())
    await stop.wait()
    worker.stop()
    await task
    await db.dispose()
