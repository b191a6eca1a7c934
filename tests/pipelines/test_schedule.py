"""Cron schedules: the next instant in the pipeline's time zone across DST changes, one pending
fire per pipeline, overlapping fires skipped, no catch-up storm after downtime, stale fires
ignored. The clock is the test's (`fire_in(..., now)`), the jobs are the real queue's rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from imas.automation.models import Run, RunStatus
from imas.db import acting_in
from imas.jobs.models import Job
from imas.pipelines.jobs import fire_in
from imas.pipelines.models import Pipeline
from imas.pipelines.service.schedule import FIRE_JOB, next_fire
from tests.pipelines.helpers import add_connector, add_pipeline, extract_step


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class TestNextFire:
    def test_three_in_the_morning_in_paris_stays_three_across_the_spring_change(self):
        # 29 March 2026: Europe/Paris goes from UTC+1 to UTC+2 at 02:00.
        assert next_fire("0 3 * * *", "Europe/Paris", utc(2026, 3, 27, 12)) == utc(2026, 3, 28, 2)
        assert next_fire("0 3 * * *", "Europe/Paris", utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1)

    def test_and_across_the_autumn_change(self):
        # 25 October 2026: back from UTC+2 to UTC+1 at 03:00.
        assert next_fire("0 3 * * *", "Europe/Paris", utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 2)
        assert next_fire("0 3 * * *", "Europe/Paris", utc(2026, 10, 25, 12)) == utc(2026, 10, 26, 2)

    def test_a_utc_schedule_ignores_daylight_saving(self):
        assert next_fire("*/15 * * * *", "UTC", utc(2026, 3, 29, 1, 50)) == utc(2026, 3, 29, 2)


async def fires(db, org_id) -> list[Job]:
    async with db.transaction() as session:
        with acting_in(session, org_id):
            found = await session.scalars(
                select(Job).where(Job.kind == FIRE_JOB).order_by(Job.run_at)
            )
            return list(found)


async def runs(db, org_id) -> list[Run]:
    async with db.transaction() as session:
        with acting_in(session, org_id):
            return list(await session.scalars(select(Run).order_by(Run.created_at)))


async def fire(db, org_id, job: Job, now: datetime) -> None:
    async with db.transaction() as session:
        with acting_in(session, org_id):
            await fire_in(session, job.payload, now)


async def scheduled(client, admin, pg_source, schedule="*/5 * * * *"):
    source = await add_connector(client, admin, pg_source)
    return await add_pipeline(
        client,
        admin,
        [extract_step(source, "SELECT 1 AS one")],
        config={"schedule": schedule, "timezone": "Europe/Paris"},
    )


class TestFires:
    async def test_a_fire_starts_a_scheduled_run_and_plans_the_next(
        self, client, admin, db, pg_source
    ):
        pipeline = await scheduled(client, admin, pg_source)
        [job] = await fires(db, admin.org.id)
        at = datetime.fromisoformat(job.payload["at"])
        assert job.run_at == at
        assert at.minute % 5 == 0

        await fire(db, admin.org.id, job, now=at)

        [run] = await runs(db, admin.org.id)
        assert run.trigger == "scheduled"
        assert run.scheduled_for == at
        assert run.status == RunStatus.QUEUED
        listed = await client.get(f"/api/v1/pipeline-runs/{run.id}/", headers=admin.headers)
        assert listed.json()["context"] == {"schedule_time": at.isoformat().replace("+00:00", "Z")}
        planned = [j for j in await fires(db, admin.org.id) if j.id != job.id]
        assert [datetime.fromisoformat(j.payload["at"]) for j in planned] == [
            at + timedelta(minutes=5)
        ]
        detail = await client.get(f"/api/v1/pipelines/{pipeline['id']}/", headers=admin.headers)
        assert detail.json()["next_run_at"].startswith((at + timedelta(minutes=5)).isoformat()[:16])

    async def test_a_fire_while_a_run_is_in_progress_is_skipped(self, client, admin, db, pg_source):
        await scheduled(client, admin, pg_source)
        [job] = await fires(db, admin.org.id)
        at = datetime.fromisoformat(job.payload["at"])
        await fire(db, admin.org.id, job, now=at)  # its run stays queued: no worker here
        second = next(j for j in await fires(db, admin.org.id) if j.id != job.id)

        await fire(db, admin.org.id, second, now=at + timedelta(minutes=5))

        assert len(await runs(db, admin.org.id)) == 1
        assert len(await fires(db, admin.org.id)) == 3  # the schedule goes on

    async def test_after_downtime_it_fires_once_then_from_now(self, client, admin, db, pg_source):
        await scheduled(client, admin, pg_source)
        [job] = await fires(db, admin.org.id)
        at = datetime.fromisoformat(job.payload["at"])
        back = at + timedelta(hours=3, minutes=2)  # the workers were down for three hours

        await fire(db, admin.org.id, job, now=back)

        assert len(await runs(db, admin.org.id)) == 1
        planned = [j for j in await fires(db, admin.org.id) if j.id != job.id]
        assert [datetime.fromisoformat(j.payload["at"]) for j in planned] == [
            at + timedelta(hours=3, minutes=5)
        ]

    async def test_a_fire_made_for_an_older_schedule_does_nothing(
        self, client, admin, db, pg_source
    ):
        pipeline = await scheduled(client, admin, pg_source)
        [old] = await fires(db, admin.org.id)
        response = await client.patch(
            f"/api/v1/pipelines/{pipeline['id']}/",
            headers=admin.headers,
            json={"config": {"schedule": "0 3 * * *", "timezone": "Europe/Paris"}},
        )
        assert response.status_code == 200

        await fire(db, admin.org.id, old, now=datetime.fromisoformat(old.payload["at"]))

        assert await runs(db, admin.org.id) == []

    async def test_the_same_instant_fired_twice_starts_one_run(self, client, admin, db, pg_source):
        await scheduled(client, admin, pg_source)
        [job] = await fires(db, admin.org.id)
        at = datetime.fromisoformat(job.payload["at"])
        await fire(db, admin.org.id, job, now=at)
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                run = await session.scalar(select(Run))
                assert run is not None
                run.status = RunStatus.SUCCEEDED  # done: not an overlap any more

        await fire(db, admin.org.id, job, now=at)  # the same job again (a repeated fire)

        assert len(await runs(db, admin.org.id)) == 1

    async def test_a_paused_pipeline_does_not_fire(self, client, admin, db, pg_source):
        pipeline = await scheduled(client, admin, pg_source)
        [job] = await fires(db, admin.org.id)
        await client.patch(
            f"/api/v1/pipelines/{pipeline['id']}/", headers=admin.headers, json={"status": "paused"}
        )

        await fire(db, admin.org.id, job, now=datetime.fromisoformat(job.payload["at"]))

        assert await runs(db, admin.org.id) == []
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                paused = await session.get(Pipeline, uuid.UUID(job.payload["pipeline_id"]))
                assert paused is not None
                assert paused.next_fire_at is None
