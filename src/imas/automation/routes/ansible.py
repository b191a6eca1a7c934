"""`/api/v1/ansible/`: playbooks, their executions, and running one (seed 002's "Ansible
Automation"). An execution is a run of the `ansible_playbook` action: a worker executes it;
follow it at `/api/v1/ansible/executions/{id}/`, its log at `.../logs/`, live at
`/ws/runs/{id}/`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from sqlalchemy import select

from imas.api.deps import LimiterDep, SessionDep, SettingsDep
from imas.api.pagination import MAX_INT, PageParams, page_params, paginate
from imas.auth.scopes import ADMIN
from imas.automation.ansible import playbooks, presenters, repository, service
from imas.automation.ansible.schemas import (
    ExecuteAccepted,
    ExecuteRequest,
    ExecutionDetail,
    ExecutionPage,
    PlaybookRead,
)
from imas.automation.models import Run
from imas.automation.routes.deps import Executor, Reader
from imas.automation.routes.runs import log_page
from imas.automation.schemas import LogPage
from imas.automation.service import runs
from imas.incidents import repository as incidents
from imas.incidents.models import Incident

router = APIRouter(prefix="/api/v1/ansible", tags=["ansible"])
LOG_LIMIT_MAX = 1000


async def _incidents(session: SessionDep, rows: list[Run]) -> dict[uuid.UUID, Incident]:
    ids = [r.incident_id for r in rows if r.incident_id]
    if not ids:
        return {}
    found = await session.scalars(select(Incident).where(Incident.id.in_(ids)))
    return {i.id: i for i in found.all()}


async def _detail(session: SessionDep, run: Run) -> ExecutionDetail:
    results = await repository.results(session, [run.id])
    incident = await session.get(Incident, run.incident_id) if run.incident_id else None
    return presenters.detail(run, results.get(run.id, run.result), incident)


@router.get("/playbooks/", response_model=ExecutionPage, summary="Playbook execution history")
async def list_executions(
    request: Request,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    playbook: Annotated[str | None, Query(description="Playbook name", max_length=200)] = None,
    status_: Annotated[
        str | None,
        Query(
            alias="status",
            description="pending, running, success, failed, cancelled (or run statuses), "
            "comma-separated",
            max_length=200,
        ),
    ] = None,
    executed_from: Annotated[datetime | None, Query(alias="executed_at__gte")] = None,
    executed_to: Annotated[datetime | None, Query(alias="executed_at__lte")] = None,
    incident: Annotated[
        str | None, Query(description="Incident id or short id", max_length=64)
    ] = None,
    ordering: Annotated[
        str | None, Query(description="-executed_at (default), finished_at, status")
    ] = None,
) -> ExecutionPage:
    incident_id = (await incidents.get(session, incident, ())).id if incident else None
    stmt = repository.executions(
        playbook=playbook,
        statuses=service.statuses(status_),
        executed_from=executed_from,
        executed_to=executed_to,
        incident_id=incident_id,
        ordering=ordering,
    )
    page = await paginate(session, stmt, pages, request, lambda r: r)
    rows: list[Run] = list(page.results)
    results = await repository.results(session, [r.id for r in rows])
    found = await _incidents(session, rows)
    items = [
        presenters.execution(
            r, results.get(r.id, r.result), found.get(r.incident_id) if r.incident_id else None
        )
        for r in rows
    ]
    return ExecutionPage(
        count=page.count, next=page.next, previous=page.previous, results=items, executions=items
    )


@router.get(
    "/playbooks/available/",
    response_model=list[PlaybookRead],
    summary="The playbooks of the playbook directory",
)
async def list_playbooks(_: Reader, settings: SettingsDep) -> list[PlaybookRead]:
    return [
        PlaybookRead(name=p.name, size=p.size, modified_at=p.modified_at)
        for p in playbooks.available(settings)
    ]


@router.post(
    "/playbooks/{playbook_name:path}/execute/",
    response_model=ExecuteAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Execute a playbook (in the background; follow the execution it answers)",
)
async def execute_playbook(
    playbook_name: str,
    data: ExecuteRequest,
    request: Request,
    session: SessionDep,
    principal: Executor,
    settings: SettingsDep,
    limiter: LimiterDep,
) -> ExecuteAccepted:
    await limiter.check(request, "automation", principal.rate_key)
    incident = await incidents.get(session, data.incident, ()) if data.incident else None
    run = await service.execute(
        session,
        playbook_name,
        data,
        incident,
        principal.user,
        settings,
        is_admin=ADMIN in principal.scopes,
    )
    state = service.state_of(run)
    return ExecuteAccepted(
        execution_id=run.id,
        status=state,
        message="Playbook execution awaits approval"
        if state == "pending"
        else "Playbook execution started",
        url=presenters.execution_url(run),
        logs_url=presenters.execution_url(run) + "logs/",
        websocket_url=presenters.websocket_url(run),
    )


@router.get(
    "/executions/{execution_id}/",
    response_model=ExecutionDetail,
    summary="An execution, with its per-host and per-task results",
)
async def get_execution(execution_id: uuid.UUID, session: SessionDep, _: Reader) -> ExecutionDetail:
    return await _detail(session, await repository.execution(session, execution_id))


@router.get(
    "/executions/{execution_id}/logs/",
    response_model=LogPage,
    summary="An execution's log, oldest first",
)
async def get_execution_logs(
    execution_id: uuid.UUID,
    session: SessionDep,
    _: Reader,
    level: Annotated[
        str | None,
        Query(description="debug, info, warning, error (comma-separated)", max_length=100),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=LOG_LIMIT_MAX)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> LogPage:
    run = await repository.execution(session, execution_id)
    return await log_page(session, run.id, level, limit, offset)


@router.post(
    "/executions/{execution_id}/cancel/",
    response_model=ExecutionDetail,
    summary="Stop an execution (a running playbook is killed within a second)",
)
async def cancel_execution(
    execution_id: uuid.UUID, session: SessionDep, principal: Executor
) -> ExecutionDetail:
    run = await repository.execution(session, execution_id)
    return await _detail(session, await runs.cancel(session, run.id, principal.user))
