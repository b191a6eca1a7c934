"""Scheduled syncs: registering a cluster plans a sync job at once; the job syncs the cluster and
plans the next one an interval later; a change of connection makes older jobs no-ops."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from imas.db import acting_in
from imas.jobs.models import Job
from imas.jobs.registry import JobContext, find
from imas.kubernetes.service.schedule import SYNC_JOB
from tests.kubernetes.helpers import get, register


async def sync_jobs(db, org_id) -> list[Job]:
    async with db.transaction(write=False) as session:
        with acting_in(session, org_id):
            found = await session.scalars(
                select(Job).where(Job.kind == SYNC_JOB).order_by(Job.created_at)
            )
            return list(found)


async def run(db, settings, job: Job) -> None:
    handler = find(SYNC_JOB)
    assert handler is not None
    ctx = JobContext(
        db=db,
        settings=settings,
        job_id=job.id,
        organization_id=job.organization_id,
        attempt=1,
        max_attempts=5,
    )
    await handler(ctx, job.payload)


class TestScheduledSync:
    async def test_registering_plans_a_sync_now_that_plans_the_next(
        self, client, admin, db, k8s_settings, k8s
    ):
        created = await register(client, admin, k8s.url, sync_interval_seconds=120)
        [job] = await sync_jobs(db, admin.org.id)
        assert job.payload["version"] == 1
        assert abs((job.run_at - job.created_at).total_seconds()) < 5

        await run(db, k8s_settings, job)
        cluster = await get(client, admin, "production-cluster/")
        assert cluster["status"] == "connected"
        assert cluster["pods"] == 3
        jobs = await sync_jobs(db, admin.org.id)
        assert len(jobs) == 2
        planned = jobs[1]
        assert planned.payload == {"cluster_id": created["id"], "version": 1}
        assert planned.run_at - job.run_at >= timedelta(seconds=119)
        assert cluster["next_sync_at"] is not None

    async def test_a_change_of_connection_makes_older_jobs_no_ops(
        self, client, admin, db, k8s_settings, k8s
    ):
        await register(client, admin, k8s.url)
        [old] = await sync_jobs(db, admin.org.id)
        response = await client.patch(
            "/api/v1/kubernetes/clusters/production-cluster/",
            headers=admin.headers,
            json={"token": "another-token"},
        )
        assert response.status_code == 200
        jobs = await sync_jobs(db, admin.org.id)
        assert [j.payload["version"] for j in jobs] == [1, 2]

        await run(db, k8s_settings, old)  # stale: nothing synced, nothing planned
        assert (await get(client, admin, "production-cluster/"))["status"] == "pending"
        assert len(await sync_jobs(db, admin.org.id)) == 2

        await run(db, k8s_settings, jobs[1])  # the current one, with the new (wrong) token
        assert (await get(client, admin, "production-cluster/"))["status"] == "unauthorized"
        assert len(await sync_jobs(db, admin.org.id)) == 3

    async def test_a_deleted_clusters_job_does_nothing(self, client, admin, db, k8s_settings, k8s):
        await register(client, admin, k8s.url)
        [job] = await sync_jobs(db, admin.org.id)
        response = await client.delete(
            "/api/v1/kubernetes/clusters/production-cluster/", headers=admin.headers
        )
        assert response.status_code == 204
        await run(db, k8s_settings, job)
        assert len(await sync_jobs(db, admin.org.id)) == 1
