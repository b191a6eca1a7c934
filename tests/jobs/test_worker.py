"""The job runner: jobs commit with their cause, run once when things go well, are retried with
backoff when they fail, come back when their worker vanishes, and are given back on shutdown."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from imas.db import Database, acting_in, utcnow
from imas.jobs import registry, store
from imas.jobs.models import Job, JobPriority, JobStatus
from imas.jobs.queue import enqueue
from imas.jobs.worker import Worker
from tests.factories import make_org

RUNS: Counter[str] = Counter()
FAILURES_LEFT: dict[str, int] = {}


@registry.handler("test.count")
async def _count(ctx: registry.JobContext, payload: dict) -> None:
    RUNS[payload["key"]] += 1


@registry.handler("test.flaky")
async def _flaky(ctx: registry.JobContext, payload: dict) -> None:
    key = payload["key"]
    if FAILURES_LEFT.get(key, 0) > 0:
        FAILURES_LEFT[key] -= 1
        raise ConnectionError("receiver down")
    RUNS[key] += 1


@registry.handler("test.hopeless")
async def _hopeless(ctx: registry.JobContext, payload: dict) -> None:
    raise registry.PermanentFailure("the URL is gone for good")


@registry.handler("test.slow")
async def _slow(ctx: registry.JobContext, payload: dict) -> None:
    await asyncio.sleep(30)


IN_FLIGHT: Counter[str] = Counter()


@registry.handler("test.overlap")
async def _overlap(ctx: registry.JobContext, payload: dict) -> None:
    IN_FLIGHT["now"] += 1
    IN_FLIGHT["most"] = max(IN_FLIGHT["most"], IN_FLIGHT["now"])
    await asyncio.sleep(0.2)
    IN_FLIGHT["now"] -= 1
    RUNS[payload["key"]] += 1


@registry.handler("test.inline")
async def _inline(ctx: registry.JobContext, payload: dict) -> None:
    """Completes its job in its own transaction - which fails the first time."""
    async with ctx.db.transaction() as session:
        session.info["organization_id"] = ctx.organization_id
        assert await ctx.succeed_in(session)
        if FAILURES_LEFT.get(payload["key"], 0) > 0:
            FAILURES_LEFT[payload["key"]] -= 1
            raise ConnectionError("the commit never happened")
    RUNS[payload["key"]] += 1


@registry.handler("test.nap")
async def _nap(ctx: registry.JobContext, payload: dict) -> None:
    await asyncio.sleep(0.3)
    RUNS[payload["key"]] += 1


@pytest.fixture(autouse=True)
def _reset() -> None:
    RUNS.clear()
    FAILURES_LEFT.clear()
    DEATHS.clear()
    IN_FLIGHT.clear()


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "BACKOFF_BASE_SECONDS", 0.0)


async def add_jobs(db: Database, org, kind: str, keys: list[str], **options) -> list[uuid.UUID]:
    async with db.transaction() as session:
        with acting_in(session, org.id):
            return [(await enqueue(session, kind, {"key": k}, **options)).id for k in keys]


async def jobs_by_id(db: Database, ids: list[uuid.UUID]) -> dict[uuid.UUID, Job]:
    async with db.read_sessions() as session:
        return {j.id: j for j in (await session.scalars(select(Job).where(Job.id.in_(ids)))).all()}


async def wait_until(db: Database, job_id: uuid.UUID, done, seconds: float = 5) -> Job:
    """Poll the job's row until `done(job)`: the row is the truth of what the worker did."""
    async with asyncio.timeout(seconds):
        while not done(job := (await jobs_by_id(db, [job_id]))[job_id]):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    return job


async def drain(
    db: Database,
    settings,
    ids: list[uuid.UUID],
    *,
    workers: int = 1,
    concurrency: int = 4,
    until=frozenset({JobStatus.SUCCEEDED, JobStatus.DEAD}),
    seconds: float = 20,
) -> dict:
    running = [
        Worker(db, settings, concurrency=concurrency, poll_interval=0.05) for _ in range(workers)
    ]
    tasks = [asyncio.create_task(w.run()) for w in running]
    try:
        async with asyncio.timeout(seconds):
            while True:
                jobs = await jobs_by_id(db, ids)
                if all(j.status in until for j in jobs.values()):
                    return jobs
                await asyncio.sleep(0.05)
    finally:
        for w in running:
            w.stop()
        await asyncio.gather(*tasks)


class TestEnqueue:
    async def test_a_job_exists_only_if_its_transaction_commits(self, db):
        org = await make_org(db)

        async def change_that_fails() -> None:
            async with db.transaction() as session:
                with acting_in(session, org.id):
                    await enqueue(session, "test.count", {"key": "lost"})
                raise RuntimeError("the change failed")

        with pytest.raises(RuntimeError):
            await change_that_fails()
        async with db.read_sessions() as session:
            assert (await session.scalars(select(Job))).all() == []


class TestRunning:
    async def test_each_job_runs_once(self, db, settings):
        org = await make_org(db)
        ids = await add_jobs(db, org, "test.count", [f"k{i}" for i in range(20)])
        jobs = await drain(db, settings, ids)
        assert {j.status for j in jobs.values()} == {JobStatus.SUCCEEDED}
        assert all(j.attempts == 1 and j.finished_at for j in jobs.values())
        assert Counter({f"k{i}": 1 for i in range(20)}) == RUNS

    async def test_a_failing_job_is_retried_until_it_succeeds(self, db, settings, no_backoff):
        org = await make_org(db)
        FAILURES_LEFT["f"] = 2
        [job_id] = await add_jobs(db, org, "test.flaky", ["f"])
        job = (await drain(db, settings, [job_id]))[job_id]
        assert job.status == JobStatus.SUCCEEDED
        assert job.attempts == 3
        assert RUNS["f"] == 1

    async def test_out_of_attempts_it_is_dead_with_its_error(self, db, settings, no_backoff):
        org = await make_org(db)
        FAILURES_LEFT["d"] = 99
        [job_id] = await add_jobs(db, org, "test.flaky", ["d"], max_attempts=3)
        job = (await drain(db, settings, [job_id]))[job_id]
        assert job.status == JobStatus.DEAD
        assert job.attempts == 3
        assert job.last_error == "ConnectionError: receiver down"

    async def test_a_failure_waits_a_backoff_before_the_next_attempt(self, db, settings):
        org = await make_org(db)
        FAILURES_LEFT["b"] = 1
        [job_id] = await add_jobs(db, org, "test.flaky", ["b"])
        before = utcnow()
        worker = Worker(db, settings, concurrency=1, poll_interval=0.05)
        task = asyncio.create_task(worker.run())
        try:
            job = await wait_until(
                db, job_id, lambda j: j.attempts == 1 and j.status == JobStatus.QUEUED
            )
        finally:
            worker.stop()
            await task
        assert job.last_error == "ConnectionError: receiver down"
        assert job.run_at >= before + timedelta(seconds=store.BACKOFF_BASE_SECONDS / 2)
        assert RUNS["b"] == 0

    async def test_a_permanent_failure_is_dead_at_once(self, db, settings):
        org = await make_org(db)
        [job_id] = await add_jobs(db, org, "test.hopeless", ["p"])
        job = (await drain(db, settings, [job_id]))[job_id]
        assert job.status == JobStatus.DEAD
        assert job.attempts == 1
        assert job.last_error == "the URL is gone for good"

    async def test_an_unknown_kind_is_dead_and_says_so(self, db, settings):
        org = await make_org(db)
        [job_id] = await add_jobs(db, org, "test.nobody-handles-this", ["u"])
        job = (await drain(db, settings, [job_id]))[job_id]
        assert job.status == JobStatus.DEAD
        assert "no handler" in job.last_error

    async def test_a_worker_runs_up_to_its_concurrency_at_once(self, db, settings):
        org = await make_org(db)
        ids = await add_jobs(db, org, "test.overlap", [f"o{i}" for i in range(12)])
        jobs = await drain(db, settings, ids, concurrency=4)
        assert {j.status for j in jobs.values()} == {JobStatus.SUCCEEDED}
        assert IN_FLIGHT["most"] == 4
        assert sum(RUNS.values()) == 12

    async def test_a_claim_takes_several_due_jobs_oldest_first(self, db):
        org = await make_org(db)
        now = utcnow()
        ids = []
        for n, key in enumerate(["c", "a", "b", "later"]):
            run_at = now - timedelta(seconds=10 - n) if key != "later" else now + timedelta(hours=1)
            ids += await add_jobs(db, org, "test.count", [key], run_at=run_at)
        claimed = await store.claim(db, "w", lease_seconds=60, limit=10)
        assert [job.id for job in claimed] == ids[:3]
        assert [job.payload["key"] for job in claimed] == ["c", "a", "b"]
        assert await store.claim(db, "other", lease_seconds=60, limit=10) == []
        jobs = await jobs_by_id(db, ids)
        assert [jobs[i].lease_owner for i in ids] == ["w", "w", "w", None]

    async def test_urgent_jobs_are_claimed_before_others_due_earlier(self, db):
        org = await make_org(db)
        now = utcnow()
        bulk = await add_jobs(
            db, org, "test.count", ["b1", "b2", "b3"], run_at=now - timedelta(seconds=30)
        )
        later = await add_jobs(
            db,
            org,
            "test.count",
            ["not yet"],
            run_at=now + timedelta(hours=1),
            priority=JobPriority.URGENT,
        )
        urgent = []
        for n, key in enumerate(["u1", "u2"]):
            run_at = now - timedelta(seconds=2 - n)
            urgent += await add_jobs(
                db, org, "test.count", [key], run_at=run_at, priority=JobPriority.URGENT
            )
        claimed = await store.claim(db, "w", lease_seconds=60, limit=3)
        assert [job.id for job in claimed] == [*urgent, bulk[0]]
        claimed = await store.claim(db, "w", lease_seconds=60, limit=3)
        assert [job.id for job in claimed] == bulk[1:]
        assert await store.claim(db, "w", lease_seconds=60, limit=3) == []
        jobs = await jobs_by_id(db, later)
        assert jobs[later[0]].status == JobStatus.QUEUED

    async def test_an_urgent_job_runs_while_other_work_holds_every_slot(self, db, settings):
        org = await make_org(db)
        slow = await add_jobs(db, org, "test.slow", ["s1", "s2"])
        worker = Worker(db, settings, concurrency=1, poll_interval=0.05, grace_seconds=0.2)
        task = asyncio.create_task(worker.run())
        try:
            await wait_until(db, slow[0], lambda j: j.status == JobStatus.RUNNING)
            [urgent] = await add_jobs(
                db, org, "test.count", ["urgent"], priority=JobPriority.URGENT
            )
            await wait_until(db, urgent, lambda j: j.status == JobStatus.SUCCEEDED)
            jobs = await jobs_by_id(db, slow)
            assert [jobs[i].status for i in slow] == [JobStatus.RUNNING, JobStatus.QUEUED]
        finally:
            worker.stop()
            await task

    async def test_a_handler_may_complete_its_job_with_its_own_commit(
        self, db, settings, no_backoff, monkeypatch
    ):
        """The completion is part of the handler's transaction: rolled back with it (the job
        is retried), committed with it (no second commit)."""
        org = await make_org(db)
        FAILURES_LEFT["i"] = 1
        [job_id] = await add_jobs(db, org, "test.inline", ["i"])

        async def no_separate_commit(*args, **kwargs):
            raise AssertionError("the handler's commit completed the job")

        monkeypatch.setattr(store, "succeed", no_separate_commit)
        job = (await drain(db, settings, [job_id]))[job_id]
        assert (job.status, job.attempts, job.lease_owner) == (JobStatus.SUCCEEDED, 2, None)
        assert job.finished_at is not None
        assert RUNS["i"] == 1

    async def test_two_workers_never_run_a_job_twice(self, db, settings):
        org = await make_org(db)
        keys = [f"c{i}" for i in range(60)]
        ids = await add_jobs(db, org, "test.count", keys)
        await drain(db, settings, ids, workers=2, concurrency=4)
        assert Counter(dict.fromkeys(keys, 1)) == RUNS


class TestLeases:
    async def test_a_vanished_workers_job_is_taken_up_again(self, db, settings):
        org = await make_org(db)
        [job_id] = await add_jobs(db, org, "test.count", ["lease"])
        [claimed] = await store.claim(db, "ghost-worker", lease_seconds=60)
        async with db.write_engine.begin() as conn:  # the ghost's lease runs out
            await conn.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(lease_expires_at=utcnow() - timedelta(seconds=1))
            )
        assert await store.reap(db) == 1
        job = (await drain(db, settings, [job_id]))[job_id]
        assert job.status == JobStatus.SUCCEEDED
        assert job.attempts == 2
        assert RUNS["lease"] == 1
        assert not await store.succeed(
            db, claimed, "ghost-worker"
        )  # its late finish changes nothing

    async def test_shutdown_gives_back_the_job_in_hand_with_its_attempt_counted(self, db, settings):
        """Cut off after the grace period, the handler may already have had its effect: the
        attempt counts, as when a worker is killed, and the job is due again at once."""
        org = await make_org(db)
        [job_id] = await add_jobs(db, org, "test.slow", ["s"])
        worker = Worker(db, settings, concurrency=1, poll_interval=0.05, grace_seconds=0.2)
        task = asyncio.create_task(worker.run())
        await wait_until(db, job_id, lambda j: j.status == JobStatus.RUNNING)
        worker.stop()
        await task
        job = (await jobs_by_id(db, [job_id]))[job_id]
        assert job.status == JobStatus.QUEUED
        assert job.attempts == 1
        assert job.lease_owner is None
        assert job.run_at <= utcnow()

    async def test_a_job_cut_off_in_its_last_attempt_is_dead(self, db, settings):
        org = await make_org(db)
        [job_id] = await add_jobs(db, org, "test.slow", ["last"], max_attempts=1)
        worker = Worker(db, settings, concurrency=1, poll_interval=0.05, grace_seconds=0.2)
        task = asyncio.create_task(worker.run())
        await wait_until(db, job_id, lambda j: j.status == JobStatus.RUNNING)
        worker.stop()
        await task
        job = (await jobs_by_id(db, [job_id]))[job_id]
        assert (job.status, job.attempts) == (JobStatus.DEAD, 1)
        assert job.last_error == store.CUT_OFF

    async def test_shutdown_lets_the_jobs_in_hand_finish_within_the_grace_period(
        self, db, settings
    ):
        org = await make_org(db)
        [job_id] = await add_jobs(db, org, "test.nap", ["n"])
        worker = Worker(db, settings, concurrency=1, poll_interval=0.05, grace_seconds=5)
        task = asyncio.create_task(worker.run())
        await wait_until(db, job_id, lambda j: j.status == JobStatus.RUNNING)
        worker.stop()
        await task
        job = (await jobs_by_id(db, [job_id]))[job_id]
        assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 1)
        assert RUNS["n"] == 1

    async def test_a_job_claimed_but_never_started_goes_back_uncounted(self, db):
        org = await make_org(db)
        [job_id] = await add_jobs(db, org, "test.count", ["u"])
        [claimed] = await store.claim(db, "w", lease_seconds=60)
        assert await store.release(db, claimed, "w")
        job = (await jobs_by_id(db, [job_id]))[job_id]
        assert (job.status, job.attempts, job.lease_owner) == (JobStatus.QUEUED, 0, None)


class TestPool:
    def test_a_worker_keeps_a_connection_for_each_job_it_runs(self, settings):
        from imas.jobs.worker import pool_size_for

        assert pool_size_for(settings.model_copy(update={"db_pool_size": 4}), 16).db_pool_size == 18
        roomy = settings.model_copy(update={"db_pool_size": 40})
        assert pool_size_for(roomy, 16) is roomy


class TestBatchedCompletion:
    async def test_several_jobs_completed_in_one_statement_those_still_held(self, db, settings):
        org = await make_org(db)
        ids = await add_jobs(db, org, "test.count", ["x", "y", "z"])
        claimed = await store.claim(db, "w", lease_seconds=60, limit=3)
        lost = claimed[2]
        async with db.write_engine.begin() as conn:  # another worker took this one over
            await conn.execute(update(Job).where(Job.id == lost.id).values(lease_owner="other"))
        contexts = [
            registry.JobContext(
                db=db,
                settings=settings,
                job_id=job.id,
                organization_id=org.id,
                attempt=1,
                max_attempts=10,
                worker="w",
            )
            for job in claimed
        ]
        async with db.write_engine.begin() as conn:
            await registry.succeed_all_in(conn, contexts)
        assert [c.completion.succeeded for c in contexts] == [True, True, False]
        jobs = await jobs_by_id(db, ids)
        assert jobs[lost.id].status == JobStatus.RUNNING
        assert {jobs[j.id].status for j in claimed[:2]} == {JobStatus.SUCCEEDED}


class TestDeath:
    """A job that dies is handed to its kind's `on_dead` hook, in the same transaction."""

    @pytest.fixture(autouse=True)
    def _hook(self):
        registry.on_dead("test.flaky")(_record_death)
        registry.on_dead("test.slow")(_record_death)
        yield
        registry._DEAD_HOOKS.pop("test.flaky", None)
        registry._DEAD_HOOKS.pop("test.slow", None)

    async def test_a_job_whose_worker_died_in_its_last_attempt_is_dead_and_told(self, db):
        org = await make_org(db)
        [job_id] = await add_jobs(db, org, "test.slow", ["ghost"], max_attempts=1)
        await store.claim(db, "ghost-worker", lease_seconds=60)
        await expire_leases(db, [job_id])
        assert await store.reap(db, on_dead=_dispatch_death) == 1
        job = (await jobs_by_id(db, [job_id]))[job_id]
        assert (job.status, job.attempts, job.lease_owner) == (JobStatus.DEAD, 1, None)
        assert job.last_error == store.WORKER_DIED
        [dead] = DEATHS
        assert (dead.id, dead.kind, dead.attempts, dead.organization_id) == (
            job_id,
            "test.slow",
            1,
            org.id,
        )
        assert dead.payload == {"key": "ghost"}
        assert dead.error == store.WORKER_DIED
        assert dead.started_at is not None

    async def test_a_job_out_of_attempts_is_told_once(self, db, settings, no_backoff):
        org = await make_org(db)
        FAILURES_LEFT["d"] = 99
        [job_id] = await add_jobs(db, org, "test.flaky", ["d"], max_attempts=2)
        await drain(db, settings, [job_id])
        [dead] = DEATHS
        assert (dead.id, dead.attempts) == (job_id, 2)
        assert dead.error == "ConnectionError: receiver down"

    async def test_a_failing_hook_does_not_keep_the_job_alive(self, db, monkeypatch):
        async def broken(session, dead):
            raise RuntimeError("the hook is broken")

        monkeypatch.setitem(registry._DEAD_HOOKS, "test.slow", broken)
        org = await make_org(db)
        ids = await add_jobs(db, org, "test.slow", ["a", "b"], max_attempts=1)
        await store.claim(db, "ghost-worker", lease_seconds=60, limit=2)
        await expire_leases(db, ids)
        assert await store.reap(db, on_dead=_dispatch_death) == 2
        jobs = await jobs_by_id(db, ids)
        assert {j.status for j in jobs.values()} == {JobStatus.DEAD}

    async def test_a_job_requeued_by_the_reaper_is_not_told(self, db):
        org = await make_org(db)
        [job_id] = await add_jobs(db, org, "test.slow", ["again"], max_attempts=2)
        await store.claim(db, "ghost-worker", lease_seconds=60)
        await expire_leases(db, [job_id])
        assert await store.reap(db, on_dead=_dispatch_death) == 1
        job = (await jobs_by_id(db, [job_id]))[job_id]
        assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
        assert DEATHS == []


DEATHS: list[store.Dead] = []


async def _record_death(session, dead: store.Dead) -> None:
    DEATHS.append(dead)


async def _dispatch_death(session, dead: store.Dead) -> None:
    hook = registry.find_on_dead(dead.kind)
    if hook is not None:
        await hook(session, dead)


async def expire_leases(db: Database, ids: list[uuid.UUID]) -> None:
    async with db.write_engine.begin() as conn:
        await conn.execute(
            update(Job)
            .where(Job.id.in_(ids))
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )


class TestWakeUp:
    async def test_a_commit_that_enqueues_wakes_an_idle_worker(self, db, settings):
        org = await make_org(db)
        worker = Worker(db, settings, concurrency=1, poll_interval=30)
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(0.2)  # idle, waiting up to 30 s
        [job_id] = await add_jobs(db, org, "test.count", ["wake"])
        try:
            await wait_until(db, job_id, lambda j: j.status == JobStatus.SUCCEEDED, seconds=3)
        finally:
            worker.stop()
            await task

    async def test_on_postgresql_listen_notify_wakes_a_worker_of_another_process(
        self, db, settings, monkeypatch
    ):
        if db.dialect != "postgresql":
            pytest.skip("LISTEN/NOTIFY is PostgreSQL's")
        import imas.jobs.worker as worker_module

        # As if the enqueuing commit happened in another process: no in-process wake-up.
        monkeypatch.setattr(worker_module, "on_enqueue", lambda callback: lambda: None)
        org = await make_org(db)
        worker = Worker(db, settings, concurrency=1, poll_interval=30)
        task = asyncio.create_task(worker.run())
        await asyncio.sleep(0.3)
        [job_id] = await add_jobs(db, org, "test.count", ["notify"])
        try:
            await wait_until(db, job_id, lambda j: j.status == JobStatus.SUCCEEDED, seconds=3)
        finally:
            worker.stop()
            await task
