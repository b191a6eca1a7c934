"""`/api/v1/jobs/`: admins see their organization's jobs and bring dead ones back."""

from __future__ import annotations

from sqlalchemy import update

from imas.db import acting_in
from imas.jobs.models import Job, JobStatus
from imas.jobs.queue import enqueue
from tests.factories import make_actor
from tests.helpers import assert_error


async def a_job(db, org, status: str = JobStatus.QUEUED) -> Job:
    async with db.transaction() as session:
        with acting_in(session, org.id):
            job = await enqueue(session, "test.count", {"key": "x"})
            await session.execute(update(Job).where(Job.id == job.id).values(status=status))
    return job


class TestJobsApi:
    async def test_lists_and_filters_by_status(self, client, db, admin):
        dead = await a_job(db, admin.org, JobStatus.DEAD)
        await a_job(db, admin.org)
        body = (await client.get("/api/v1/jobs/?status=dead", headers=admin.headers)).json()
        assert [j["id"] for j in body["results"]] == [str(dead.id)]
        assert body["results"][0]["kind"] == "test.count"

    async def test_retry_a_dead_job(self, client, db, admin):
        dead = await a_job(db, admin.org, JobStatus.DEAD)
        response = await client.post(f"/api/v1/jobs/{dead.id}/retry/", headers=admin.headers)
        assert response.status_code == 200
        assert response.json()["status"] == "queued"
        assert response.json()["attempts"] == 0

    async def test_only_a_dead_job_can_be_retried(self, client, db, admin):
        queued = await a_job(db, admin.org)
        response = await client.post(f"/api/v1/jobs/{queued.id}/retry/", headers=admin.headers)
        assert_error(response, 409, "job_not_dead")

    async def test_another_orgs_jobs_are_invisible(self, client, db, admin, outsider):
        theirs = await a_job(db, outsider.org, JobStatus.DEAD)
        assert (await client.get("/api/v1/jobs/", headers=admin.headers)).json()["count"] == 0
        assert_error(
            await client.get(f"/api/v1/jobs/{theirs.id}/", headers=admin.headers), 404, "not_found"
        )
        response = await client.post(f"/api/v1/jobs/{theirs.id}/retry/", headers=admin.headers)
        assert_error(response, 404, "not_found")

    async def test_admins_only(self, client, db, admin):
        responder = await make_actor(db, org=admin.org, role="responder")
        assert_error(
            await client.get("/api/v1/jobs/", headers=responder.headers), 403, "permission_denied"
        )
