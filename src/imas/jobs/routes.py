"""`/api/v1/jobs/`: what the background workers did, are doing and gave up on (admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from imas.api.deps import SessionDep, require
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.auth.scopes import ADMIN
from imas.auth.service import Principal
from imas.jobs import repository, service
from imas.jobs.models import Job, JobStatus
from imas.jobs.schemas import JobRead
from imas.repository import get_or_404

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
Admin = Annotated[Principal, Depends(require(ADMIN))]


@router.get("/", response_model=Page[JobRead], summary="Jobs of your organization")
async def list_jobs(
    request: Request,
    session: SessionDep,
    _: Admin,
    pages: Annotated[PageParams, Depends(page_params)],
    status: Annotated[JobStatus | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=100)] = None,
    ordering: Annotated[str | None, Query(description="created_at, run_at, kind")] = None,
) -> Page[JobRead]:
    stmt = repository.filtered(status, kind, ordering)
    return await paginate(session, stmt, pages, request, JobRead.model_validate)


@router.get("/{job_id}/", response_model=JobRead, summary="One job")
async def get_job(job_id: uuid.UUID, session: SessionDep, _: Admin) -> JobRead:
    return JobRead.model_validate(await get_or_404(session, Job, job_id, "job"))


@router.post("/{job_id}/retry/", response_model=JobRead, summary="Queue a dead job again")
async def retry_job(job_id: uuid.UUID, session: SessionDep, _: Admin) -> JobRead:
    job = await get_or_404(session, Job, job_id, "job")
    return JobRead.model_validate(await service.retry(session, job))
