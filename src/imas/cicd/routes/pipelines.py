"""`/api/v1/ci/pipelines/` (seed 002's `/pipelines`): the recorded CI/CD runs, and
`/api/v1/ci/changes/`: the change events of services."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from imas.api.deps import SessionDep
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.cicd import presenters, repository
from imas.cicd.models import ChangeKind, RunStatus
from imas.cicd.routes.deps import Reader
from imas.cicd.schemas import ChangeRead, PipelineDetail, PipelineRead

router = APIRouter(prefix="/api/v1/ci", tags=["ci/cd"])


@router.get("/pipelines/", response_model=Page[PipelineRead], summary="List CI/CD runs")
async def list_pipelines(
    request: Request,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    repository_name: Annotated[
        str | None, Query(alias="repository", max_length=300, description="e.g. acme/api")
    ] = None,
    branch: Annotated[str | None, Query(max_length=255)] = None,
    status: RunStatus | None = None,
    is_deployment: bool | None = None,
    ordering: Annotated[
        str | None,
        Query(
            max_length=200,
            description="created_at, started_at, finished_at, duration, status, branch; "
            "`-` for descending (default -created_at)",
        ),
    ] = None,
) -> Page[PipelineRead]:
    stmt = repository.runs(
        repository=repository_name,
        branch=branch,
        status=status,
        is_deployment=is_deployment,
        ordering=ordering,
    )
    return await paginate(session, stmt, pages, request, presenters.pipeline)


@router.get(
    "/pipelines/{pipeline_id}/", response_model=PipelineDetail, summary="A run with its stages"
)
async def get_pipeline(pipeline_id: uuid.UUID, session: SessionDep, _: Reader) -> PipelineDetail:
    return presenters.pipeline_detail(await repository.run(session, pipeline_id))


@router.get("/changes/", response_model=Page[ChangeRead], summary="List change events")
async def list_changes(
    request: Request,
    session: SessionDep,
    _: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    service: Annotated[uuid.UUID | None, Query(description="Service id")] = None,
    kind: ChangeKind | None = None,
) -> Page[ChangeRead]:
    stmt = repository.changes(service_id=service, kind=kind)
    return await paginate(session, stmt, pages, request, presenters.change)
