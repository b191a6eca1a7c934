"""Issue 5's crash test: `imas worker` processes deliver a batch to a slow local receiver; one
is killed with SIGKILL mid-batch; a new one starts. Every event arrives at least once, none is
missing, and while two workers were alive together no event arrived twice. The only duplicates
are events the killed worker had in flight (its lease expired and another worker sent them
again) - at-least-once, as promised, with the event id for the receiver to drop them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from imas.db import acting_in
from imas.incidents import service as incidents
from imas.incidents.schemas import IncidentCreate
from imas.jobs.models import Job, JobStatus
from imas.notify.models import DeliveryStatus
from tests.incidents.factories import make_service
from tests.notify.conftest import deliveries
from tests.notify.receivers import Receiver

EVENTS = 50
CONCURRENCY = 4
LEASE_SECONDS = 2


class WorkerProcess:
    def __init__(
        self, database_url: str, secret_key: str, logs: Path, name: str, **extra: str
    ) -> None:
        env = {
            **os.environ,
            "IMAS_DATABASE_URL": database_url,
            "IMAS_SECRET_KEY": secret_key,
            "IMAS_WEBHOOK_ALLOW_PRIVATE": "true",
            "IMAS_WORKER_LEASE_SECONDS": str(LEASE_SECONDS),
            "IMAS_VAR_DIR": str(logs),
            "IMAS_LOG_LEVEL": "WARNING",
            **extra,
        }
        self.log = logs / f"{name}.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "imas", "worker", "--concurrency", str(CONCURRENCY)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def alive(self) -> bool:
        return self.process.poll() is None

    async def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait, 10)

    async def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 15)
            except subprocess.TimeoutExpired:
                await self.kill()


async def wait_for(condition, seconds: float, what: str) -> None:
    try:
        async with asyncio.timeout(seconds):
            while not await condition():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    except TimeoutError:
        pytest.fail(f"timed out waiting for {what}")


async def test_a_killed_worker_loses_no_event(
    db, database_url, notify_settings, admin, subscribe, tmp_path
):
    receiver = await Receiver(delay=0.2).start()  # slow: a batch takes a while
    workers: list[WorkerProcess] = []
    try:
        await subscribe(receiver.url, max_retries=5)
        service = await make_service(db, admin.org, "batch")
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                for n in range(EVENTS):
                    await incidents.create_incident(
                        session, admin.user, IncidentCreate(title=f"#{n}", service=service.id)
                    )
        expected = {str(d.event_id) for d in await deliveries(db, admin.org.id)}
        assert len(expected) == EVENTS

        def start(name: str) -> WorkerProcess:
            worker = WorkerProcess(database_url, notify_settings.secret_key, tmp_path, name)
            workers.append(worker)
            return worker

        doomed, survivor = start("doomed"), start("survivor")

        async def mid_batch() -> bool:
            assert doomed.alive(), doomed.log.read_text()
            return len(receiver.received) >= 12

        await wait_for(mid_batch, 60, "the workers to start delivering")
        await doomed.kill()
        killed_at = asyncio.get_running_loop().time()
        before_kill = Counter(
            r.headers["webhook-id"] for r in receiver.received if r.at <= killed_at
        )
        assert max(before_kill.values()) == 1, "two live workers delivered an event twice"
        assert len(before_kill) < EVENTS, "killed mid-batch"
        start("replacement")

        async def all_delivered() -> bool:
            assert survivor.alive(), survivor.log.read_text()
            rows = await deliveries(db, admin.org.id)
            return all(d.status == DeliveryStatus.SUCCESS for d in rows)

        await wait_for(all_delivered, 60, "every delivery to succeed")
    finally:
        for worker in workers:
            await worker.stop()
        await receiver.stop()

    arrived = receiver.event_ids()
    assert set(arrived) == expected, "an event is missing"
    duplicates = {event for event, n in arrived.items() if n > 1}
    assert len(duplicates) <= CONCURRENCY, duplicates  # at most what the killed one had in hand
    assert duplicates <= set(before_kill), "only events in flight at the kill came twice"
    async with db.read_sessions() as session:
        with acting_in(session, admin.org.id):
            jobs = (await session.scalars(select(Job))).all()
    assert {j.status for j in jobs} == {JobStatus.SUCCEEDED}
    retaken = [j for j in jobs if j.attempts > 1]  # the killed worker's, after its lease expired
    assert len(retaken) >= len(duplicates)
