"""`/api/v1/pipeline-runs/`: every run of the organization's pipelines, their tasks and logs.
Cursor-paginated as seed 003 shows (`next` carries `?cursor=`), with its `field__op` filters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import Select, or_, select

from imas.api.deps import SessionDep
from imas.api.filtering import apply_range, split_csv
from imas.api.pagination import MAX_INT, MAX_PAGE_SIZE, Keyset, Page, cursor_paginate
from imas.automation.models import Run, RunLog
from imas.errors import ValidationFailed
from imas.orgs.models import User
from imas.pipelines import presenters, repository
from imas.pipelines.models import Pipeline
from imas.pipelines.routes.deps import Reader
from imas.pipelines.schemas import PipelineRunDetail, PipelineRunRead, RunLogRead
from imas.pipelines.service.progress import SEED_TO_STATUSES
from imas.types import UtcDateTime

router = APIRouter(prefix="/api/v1/pipeline-runs", tags=["pipelines"])
RUNS_ORDER = Keyset([Run.created_at, Run.id], [datetime, uuid.UUID])
LOGS_ORDER = Keyset([RunLog.seq, RunLog.id], [int, uuid.UUID], descending=False)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
Limit = Annotated[int, Query(ge=1, le=1000, description="Results per page")]


def _statuses(given: str | None) -> list[str]:
    found: list[str] = []
    for name in split_csv(given):
        if name not in SEED_TO_STATUSES:
            raise ValidationFailed.field(
                "status", f"unknown status '{name}'; use {', '.join(SEED_TO_STATUSES)}"
            )
        found.extend(SEED_TO_STATUSES[name])
    return found


def _uuids(given: str | None, field: str) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(v) for v in split_csv(given)]
    except ValueError:
        raise ValidationFailed.field(field, "not a list of ids") from None


@router.get("/", response_model=Page[PipelineRunRead], summary="List pipeline runs, newest first")
async def list_runs(
    request: Request,
    session: SessionDep,
    _: Reader,
    pipeline: Annotated[str | None, Query(max_length=40, description="Pipeline id")] = None,
    pipeline__in: Annotated[str | None, Query(max_length=4000)] = None,
    status: Annotated[
        str | None,
        Query(max_length=100, description="pending, running, success, failed, cancelled"),
    ] = None,
    status__in: Annotated[str | None, Query(max_length=100)] = None,
    trigger_type: Annotated[
        str | None, Query(max_length=20, description="manual, scheduled")
    ] = None,
    trigger_type__in: Annotated[str | None, Query(max_length=100)] = None,
    started_at__gte: UtcDateTime | None = None,
    started_at__gt: UtcDateTime | None = None,
    started_at__lte: UtcDateTime | None = None,
    started_at__lt: UtcDateTime | None = None,
    completed_at__gte: UtcDateTime | None = None,
    completed_at__lte: UtcDateTime | None = None,
    created_at__gte: UtcDateTime | None = None,
    created_at__lte: UtcDateTime | None = None,
    error__icontains: Annotated[str | None, Query(max_length=200)] = None,
    search: Annotated[
        str | None, Query(max_length=200, description="In the pipeline's name and the error")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Limit = 20,
    page_size: Annotated[int | None, Query(ge=1, le=1000, description="Same as limit")] = None,
) -> Page[PipelineRunRead]:
    stmt: Select[Any] = select(Run).where(Run.pipeline_id.is_not(None))
    pipelines = _uuids(pipeline, "pipeline") + _uuids(pipeline__in, "pipeline__in")
    if pipelines:
        stmt = stmt.where(Run.pipeline_id.in_(pipelines))
    statuses = _statuses(status) + _statuses(status__in)
    if statuses:
        stmt = stmt.where(Run.status.in_(statuses))
    triggers = split_csv(trigger_type) + split_csv(trigger_type__in)
    if triggers:
        stmt = stmt.where(Run.trigger.in_(triggers))
    stmt = apply_range(
        stmt,
        Run.started_at,
        gte=started_at__gte,
        gt=started_at__gt,
        lte=started_at__lte,
        lt=started_at__lt,
    )
    stmt = apply_range(stmt, Run.finished_at, gte=completed_at__gte, lte=completed_at__lte)
    stmt = apply_range(stmt, Run.created_at, gte=created_at__gte, lte=created_at__lte)
    if error__icontains:
        stmt = stmt.where(Run.error.icontains(error__icontains, autoescape=True))
    if search and search.strip():
        names = select(Pipeline.id).where(Pipeline.name.icontains(search.strip(), autoescape=True))
        stmt = stmt.where(
            or_(Run.pipeline_id.in_(names), Run.error.icontains(search.strip(), autoescape=True))
        )
    size = min(page_size or limit, MAX_PAGE_SIZE)
    page = await cursor_paginate(
        session, stmt, RUNS_ORDER, request, lambda r: r, cursor=cursor, limit=size
    )
    owners = await repository.pipelines_named(
        session, [r.pipeline_id for r in page.results if r.pipeline_id]
    )
    users = await _users(session, [r.requested_by_id for r in page.results if r.requested_by_id])
    return Page[PipelineRunRead](
        count=page.count,
        next=page.next,
        previous=None,
        results=[
            presenters.run(r, owners.get(r.pipeline_id), users.get(r.requested_by_id))
            for r in page.results
        ],
    )


async def _users(session: SessionDep, ids: list[uuid.UUID]) -> dict[uuid.UUID, User]:
    if not ids:
        return {}
    found = await session.scalars(select(User).where(User.id.in_(set(ids))))
    return {u.id: u for u in found}


@router.get(
    "/{run_id}/", response_model=PipelineRunDetail, summary="A run with its tasks (every attempt)"
)
async def get_run(run_id: uuid.UUID, session: SessionDep, _: Reader) -> PipelineRunDetail:
    run = await repository.pipeline_run(session, run_id)
    owner = await session.get(Pipeline, run.pipeline_id)
    tasks = await repository.tasks(session, [run.id])
    requester = await session.get(User, run.requested_by_id) if run.requested_by_id else None
    return presenters.run_detail(run, owner, tasks, requester)


@router.get("/{run_id}/logs/", response_model=Page[RunLogRead], summary="A run's log, oldest first")
async def get_logs(
    request: Request,
    run_id: uuid.UUID,
    session: SessionDep,
    _: Reader,
    level: Annotated[
        str | None, Query(max_length=100, description="INFO, WARNING, ERROR (comma-separated)")
    ] = None,
    task: Annotated[uuid.UUID | None, Query(description="Only this task's lines")] = None,
    limit: Limit = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[RunLogRead]:
    run = await repository.pipeline_run(session, run_id)
    stmt: Select[Any] = select(RunLog).where(RunLog.run_id == run.id)
    levels = [v.upper() for v in split_csv(level)]
    for name in levels:
        if name not in LOG_LEVELS:
            raise ValidationFailed.field(
                "level", f"unknown level '{name}'; use {', '.join(LOG_LEVELS)}"
            )
    if levels:
        stmt = stmt.where(RunLog.level.in_([v.lower() for v in levels]))
    if task is not None:
        stmt = stmt.where(RunLog.task_id == task)
    return await cursor_paginate(
        session,
        stmt,
        LOGS_ORDER,
        request,
        presenters.log,
        cursor=cursor,
        limit=limit,
        offset=offset,
    )
