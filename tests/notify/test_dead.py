"""A delivery is never left pending by a job that died without its handler settling it: its
worker killed or shut down during the last attempt, or an unexpected error in that attempt."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

import imas.notify.jobs as jobs_module
from imas.db import utcnow
from imas.jobs import store
from imas.jobs.models import Job, JobStatus
from imas.jobs.worker import Worker
from imas.notify.models import DeliveryStatus
from tests.incidents.factories import make_incident, make_service
from tests.notify.conftest import SETTLED, deliver_all, deliveries
from tests.notify.receivers import Silent
from tests.notify.test_delivery import job_of


@pytest.fixture
async def service(db, admin):
    return await make_service(db, admin.org, "redis-prod")


async def run_until(db, settings, done, **options) -> None:
    worker = Worker(db, settings, concurrency=4, poll_interval=0.05, **options)
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(15):
            while not await done():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await task


class TestWorkerDied:
    async def test_a_worker_killed_in_the_last_attempt_leaves_the_delivery_dead(
        self, db, notify_settings, admin, receiver, subscribe, service
    ):
        await subscribe(receiver.url, max_retries=0)
        await make_incident(db, admin.org, admin.user, service)
        [pending] = await deliveries(db, admin.org.id)
        [ghost_job] = await store.claim(db, "killed-worker", lease_seconds=60)  # then died
        async with db.write_engine.begin() as conn:
            await conn.execute(
                update(Job)
                .where(Job.id == ghost_job.id)
                .values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )

        async def settled() -> bool:
            [d] = await deliveries(db, admin.org.id)
            return d.status in SETTLED

        # a live worker's lease keeper reaps the job, and its hook settles the delivery
        await run_until(db, notify_settings, settled, lease_seconds=0.2)
        [dead] = await deliveries(db, admin.org.id)
        assert dead.status == DeliveryStatus.DEAD
        assert dead.attempts == 1
        assert dead.error == store.WORKER_DIED
        [attempt] = dead.attempt_log
        assert (attempt.number, attempt.outcome, attempt.error) == (1, "failed", store.WORKER_DIED)
        assert attempt.response_code is None
        assert receiver.received == []  # nothing sent again: there are no attempts left
        job = await job_of(db, admin.org.id, pending.job_id)
        assert (job.status, job.attempts) == (JobStatus.DEAD, 1)

    async def test_a_worker_killed_with_attempts_left_is_retried_and_delivers(
        self, db, notify_settings, admin, receiver, subscribe, service
    ):
        await subscribe(receiver.url, max_retries=1)
        await make_incident(db, admin.org, admin.user, service)
        [ghost_job] = await store.claim(db, "killed-worker", lease_seconds=60)
        async with db.write_engine.begin() as conn:
            await conn.execute(
                update(Job)
                .where(Job.id == ghost_job.id)
                .values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )

        async def settled() -> bool:
            [d] = await deliveries(db, admin.org.id)
            return d.status in SETTLED

        await run_until(db, notify_settings, settled, lease_seconds=0.2)
        [done] = await deliveries(db, admin.org.id)
        assert done.status == DeliveryStatus.SUCCESS
        assert [(a.number, a.outcome) for a in done.attempt_log] == [(2, "success")]
        assert len(receiver.received) == 1


class TestCutOff:
    async def test_a_shutdown_cutting_off_the_last_attempt_leaves_the_delivery_dead(
        self, db, notify_settings, admin, subscribe, service
    ):
        silent = await Silent().start()
        try:
            await subscribe(silent.url, timeout_seconds=30, max_retries=0)
            await make_incident(db, admin.org, admin.user, service)
            worker = Worker(
                db, notify_settings, concurrency=1, poll_interval=0.05, grace_seconds=0.2
            )
            task = asyncio.create_task(worker.run())
            async with asyncio.timeout(10):
                while silent.connections == 0:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            worker.stop()
            await task
        finally:
            await silent.stop()
        [dead] = await deliveries(db, admin.org.id)
        assert dead.status == DeliveryStatus.DEAD
        [attempt] = dead.attempt_log
        assert (attempt.number, attempt.outcome, attempt.error) == (1, "failed", store.CUT_OFF)
        job = await job_of(db, admin.org.id, dead.job_id)
        assert (job.status, job.attempts) == (JobStatus.DEAD, 1)

    async def test_a_cut_off_attempt_with_attempts_left_counts_and_runs_again_at_once(
        self, db, notify_settings, admin, subscribe, service
    ):
        silent = await Silent().start()
        try:
            await subscribe(silent.url, timeout_seconds=30, max_retries=3)
            await make_incident(db, admin.org, admin.user, service)
            worker = Worker(
                db, notify_settings, concurrency=1, poll_interval=0.05, grace_seconds=0.2
            )
            task = asyncio.create_task(worker.run())
            async with asyncio.timeout(10):
                while silent.connections == 0:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            worker.stop()
            await task
        finally:
            await silent.stop()
        [pending] = await deliveries(db, admin.org.id)
        assert pending.status == DeliveryStatus.PENDING  # nothing known of the cut-off attempt
        assert pending.attempt_log == []
        job = await job_of(db, admin.org.id, pending.job_id)
        assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
        assert job.run_at <= utcnow()


class TestUnexpectedError:
    async def test_an_error_before_the_delivery_was_recorded_in_the_last_attempt_settles_it(
        self, db, notify_settings, admin, receiver, subscribe, service, monkeypatch
    ):
        async def broken_load(ctx, delivery_id):
            raise RuntimeError("the database went away")

        monkeypatch.setattr(jobs_module, "_load", broken_load)
        await subscribe(receiver.url, max_retries=0)
        await make_incident(db, admin.org, admin.user, service)
        [dead] = await deliver_all(db, notify_settings, admin.org.id)
        assert dead.status == DeliveryStatus.DEAD
        [attempt] = dead.attempt_log
        assert attempt.error == "RuntimeError: the database went away"
        assert receiver.received == []

    async def test_a_delivery_its_handler_settled_gets_no_second_record(
        self, db, notify_settings, admin, subscribe, service, fast_retries
    ):
        """Dead after its last failed attempt, recorded by the handler: the hook adds nothing."""
        silent = await Silent().start()
        try:
            await subscribe(silent.url, timeout_seconds=1, max_retries=0)
            await make_incident(db, admin.org, admin.user, service)
            [dead] = await deliver_all(db, notify_settings, admin.org.id)
        finally:
            await silent.stop()
        assert dead.status == DeliveryStatus.DEAD
        assert [a.error for a in dead.attempt_log] == ["timed out after 1 s"]
        assert dead.attempts == 1
