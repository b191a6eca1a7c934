from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import utcnow
from imas.errors import Conflict
from imas.jobs.models import Job, JobStatus


async def retry(session: AsyncSession, job: Job) -> Job:
    """A dead job gets a fresh set of attempts, due now."""
    if job.status != JobStatus.DEAD:
        raise Conflict(
            f"Only a dead job can be retried; this one is {job.status}.",
            code="job_not_dead",
            details={"status": job.status},
        )
    job.status = JobStatus.QUEUED
    job.attempts = 0
    job.run_at = utcnow()
    job.finished_at = None
    await session.flush()
    session.info["jobs_enqueued"] = True  # wakes the in-process worker after the commit
    return job
