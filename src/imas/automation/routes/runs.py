"""`/api/v1/automation/runs/`: runs of actions, their tasks and logs; cancel, approve, confirm;
and the catalogue of actions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.api.deps import SessionDep, SettingsDep
from imas.api.pagination import MAX_INT, Page, PageParams, page_params, paginate
from imas.auth.scopes import ADMIN
from imas.automation import presenters, repository
from imas.automation.actions import registry
from imas.automation.models import Run, Trigger
from imas.automation.routes.deps import Admin, Executor, Reader
from imas.automation.schemas import ActionInfo, LogPage, RunDetail, RunRead, RunRequest
from imas.automation.service import runs
from imas.incidents import repository as incidents
from imas.incidents.models import Incident

router = APIRouter(prefix="/api/v1/automation", tags=["automation"])
LOG_LIMIT_MAX = 1000


async def _incident_of(session: SessionDep, run: Run) -> Incident | None:
    return await session.get(Incident, run.incident_id) if run.incident_id else None


async def detail(session: SessionDep, run: Run) -> RunDetail:
    return presenters.run_detail(
        run, await _incident_of(session, run), await repository.tasks(session, run.id)
    )


@router.get("/actions/", response_model=list[ActionInfo], summary="The actions runs can execute")
async def list_actions(_: Reader) -> list[ActionInfo]:
    return [
        ActionInfo(
            kind=cls.kind,
            description=cls.description,
            executor_kinds=list(cls.executor_kinds),
            executor_required=cls.executor_required,
            max_retries=cls.max_retries,
            admin_only=cls.admin_only,
            parameters=cls.Params.model_json_schema(),
        )
        for cls in registry.all_actions()
    ]


@router.get("/runs/", response_model=Page[RunRead], summary="List runs")
async def list_runs(
    request: Request,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    incident: Annotated[
        str | None, Query(description="Incident id or short id", max_length=64)
    ] = None,
    action: Annotated[str | None, Query(max_length=50)] = None,
    status_: Annotated[
        str | None,
        Query(alias="status", description="Comma-separated run statuses", max_length=200),
    ] = None,
    trigger: Annotated[Trigger | None, Query()] = None,
    ordering: Annotated[
        str | None, Query(description="-created_at (default), finished_at, status")
    ] = None,
) -> Page[RunRead]:
    incident_id = (await incidents.get(session, incident, ())).id if incident else None
    stmt = repository.runs(
        incident_id=incident_id, action=action, status=status_, trigger=trigger, ordering=ordering
    )
    page = await paginate(session, stmt, pages, request, lambda r: r)
    found = {
        i.id: i
        for i in (
            await session.scalars(
                select(Incident).where(
                    Incident.id.in_([r.incident_id for r in page.results if r.incident_id])
                )
            )
        ).all()
    }
    return Page[RunRead](
        count=page.count,
        next=page.next,
        previous=page.previous,
        results=[presenters.run(r, found.get(r.incident_id)) for r in page.results],
    )


@router.post(
    "/runs/",
    response_model=RunDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Start a run of an action (on an incident or on its own), executed in the background",
)
async def create_run(
    data: RunRequest, session: SessionDep, principal: Executor, settings: SettingsDep
) -> RunDetail:
    incident = await incidents.get(session, data.incident, ()) if data.incident else None
    run = await runs.request(
        session,
        runs.Requested(**data.model_dump(exclude={"incident"})),
        incident,
        principal.user,
        settings,
        is_admin=ADMIN in principal.scopes,
    )
    return await detail(session, run)


@router.get("/runs/{run_id}/", response_model=RunDetail, summary="A run, with its tasks")
async def get_run(run_id: uuid.UUID, session: SessionDep, _: Reader) -> RunDetail:
    return await detail(session, await repository.run(session, run_id))


async def log_page(
    session: AsyncSession, run_id: uuid.UUID, level: str | None, limit: int, offset: int
) -> LogPage:
    """A page of a run's log lines (any run of the engine: remediation, Ansible...)."""
    stmt = repository.logs(run_id, level)
    count = await session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = (await session.scalars(stmt.offset(offset).limit(limit))).all()
    return LogPage(
        count=int(count or 0), limit=limit, offset=offset, results=[presenters.log(r) for r in rows]
    )


@router.get("/runs/{run_id}/logs/", response_model=LogPage, summary="A run's log, oldest first")
async def get_logs(
    run_id: uuid.UUID,
    session: SessionDep,
    _: Reader,
    level: Annotated[
        str | None,
        Query(description="debug, info, warning, error (comma-separated)", max_length=100),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=LOG_LIMIT_MAX)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> LogPage:
    run = await repository.run(session, run_id)
    return await log_page(session, run.id, level, limit, offset)


@router.post("/runs/{run_id}/cancel/", response_model=RunDetail, summary="Cancel a run")
async def cancel_run(run_id: uuid.UUID, session: SessionDep, principal: Executor) -> RunDetail:
    return await detail(session, await runs.cancel(session, run_id, principal.user))


@router.post(
    "/runs/{run_id}/approve/",
    response_model=RunDetail,
    summary="Approve a run a policy holds for approval (admins)",
)
async def approve_run(run_id: uuid.UUID, session: SessionDep, principal: Admin) -> RunDetail:
    return await detail(session, await runs.approve(session, run_id, principal.user))


@router.post(
    "/runs/{run_id}/confirm/",
    response_model=RunDetail,
    summary="Confirm the runbook step a run waits at; the run goes on",
)
async def confirm_step(run_id: uuid.UUID, session: SessionDep, principal: Executor) -> RunDetail:
    return await detail(session, await runs.confirm(session, run_id, principal.user))
