"""Retention per organization: the settings (admins only), and the sweep job deleting old points
of its own organization only."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from imas.db import acting_in, utcnow
from imas.jobs.models import Job
from imas.jobs.registry import JobContext
from imas.telemetry.jobs import sweep_in
from imas.telemetry.models import Point
from imas.telemetry.service.retention import RETENTION_JOB
from tests.factories import make_actor
from tests.telemetry.helpers import point, send

SETTINGS = "/api/v1/telemetry/settings/"


async def points(db) -> int:
    async with db.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Point)) or 0)


async def retention_jobs(db, org_id) -> list[Job]:
    async with db.transaction(write=False) as session:
        with acting_in(session, org_id):
            found = await session.scalars(
                select(Job).where(Job.kind == RETENTION_JOB).order_by(Job.run_at)
            )
            return list(found)


class TestSettings:
    async def test_default_then_changed_by_an_admin(self, client, admin, db):
        got = await client.get(SETTINGS, headers=admin.headers)
        assert got.json()["retention_days"] == 30
        put = await client.put(SETTINGS, json={"retention_days": 7}, headers=admin.headers)
        assert put.status_code == 200, put.text
        assert (await client.get(SETTINGS, headers=admin.headers)).json()["retention_days"] == 7

    async def test_only_admins(self, client, db, admin):
        responder = await make_actor(db, admin.org, role="responder")
        assert (await client.get(SETTINGS, headers=responder.headers)).status_code == 403
        response = await client.put(SETTINGS, json={"retention_days": 7}, headers=responder.headers)
        assert response.status_code == 403
        assert (await client.get(SETTINGS)).status_code == 401

    async def test_a_bad_retention_is_400(self, client, admin):
        response = await client.put(SETTINGS, json={"retention_days": 0}, headers=admin.headers)
        assert response.status_code == 400


class TestSweep:
    async def test_old_points_go_and_the_sweep_plans_the_next(
        self, client, admin, outsider, db, settings
    ):
        now = utcnow()
        await send(
            client,
            admin,
            [point("cpu_usage", i, now - timedelta(days=i, minutes=1), host="a") for i in range(6)],
        )
        await send(client, outsider, [point("cpu_usage", 1, now - timedelta(days=4))])
        [first] = await retention_jobs(db, admin.org.id)  # armed by the first metric
        assert first.run_at > now

        response = await client.put(SETTINGS, json={"retention_days": 3}, headers=admin.headers)
        assert response.status_code == 200
        job = (await retention_jobs(db, admin.org.id))[0]  # the new one, due now
        assert job.payload["version"] == 2

        ctx = JobContext(
            db=db,
            settings=settings,
            job_id=job.id,
            organization_id=admin.org.id,
            attempt=1,
            max_attempts=5,
        )
        deleted = await sweep_in(ctx, job.payload, now)
        assert deleted == 3  # days 3, 4 and 5 (a minute past three days)
        assert await points(db) == 3 + 1  # the other org's point stays
        stale = JobContext(
            db=db,
            settings=settings,
            job_id=uuid.uuid4(),
            organization_id=admin.org.id,
            attempt=1,
            max_attempts=5,
        )
        assert await sweep_in(stale, first.payload, now) == 0  # an older version: a no-op
        got = (await client.get(SETTINGS, headers=admin.headers)).json()
        assert got["last_retention_deleted"] == 3
        jobs = await retention_jobs(db, admin.org.id)
        assert len(jobs) == 3
