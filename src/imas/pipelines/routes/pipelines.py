"""`/api/v1/pipelines/`: pipelines, their steps, and starting or stopping their runs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep, SettingsDep
from imas.api.filtering import split_csv
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.pipelines import presenters, repository
from imas.pipelines.models import Pipeline
from imas.pipelines.routes.deps import Executor, Reader, Writer
from imas.pipelines.schemas import (
    ExecuteAnswer,
    ExecuteRequest,
    PipelineCreate,
    PipelineDetail,
    PipelineRead,
    PipelineUpdate,
    StopAnswer,
    StopRequest,
)
from imas.pipelines.service import executor, pipelines, progress, runs
from imas.types import UtcDateTime

router = APIRouter(prefix="/api/v1/pipelines", tags=["pipelines"])


async def _detail(session: SessionDep, pipeline: Pipeline) -> PipelineDetail:
    steps = await repository.steps(session, pipeline.id)
    last = (await repository.last_runs(session, [pipeline.id])).get(pipeline.id)
    return presenters.pipeline_detail(pipeline, steps, last)


@router.get("/", response_model=Page[PipelineRead], summary="List pipelines")
async def list_pipelines(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    status_: Annotated[
        str | None,
        Query(alias="status", max_length=100, description="active, paused, draft, deprecated"),
    ] = None,
    status__in: Annotated[str | None, Query(max_length=100)] = None,
    organization: Annotated[
        str | None, Query(max_length=100, description="Your organization's id or slug")
    ] = None,
    search: Annotated[str | None, Query(max_length=200, description="Name and description")] = None,
    ordering: Annotated[
        str | None, Query(description="created_at, -created_at, name, -name, updated_at, status")
    ] = None,
    created_at__gte: UtcDateTime | None = None,
    created_at__lte: UtcDateTime | None = None,
) -> Page[PipelineRead]:
    org = principal.organization
    if organization and organization not in (str(org.id), org.slug):
        return Page[PipelineRead](count=0, next=None, previous=None, results=[])
    stmt = repository.pipelines(
        status=[*split_csv(status_), *split_csv(status__in)],
        search=search,
        ordering=ordering,
        created_at_gte=created_at__gte,
        created_at_lte=created_at__lte,
    )
    page = await paginate(session, stmt, pages, request, lambda p: p)
    ids = [p.id for p in page.results]
    counts = await repository.steps_counts(session, ids)
    last = await repository.last_runs(session, ids)
    return Page[PipelineRead](
        count=page.count,
        next=page.next,
        previous=page.previous,
        results=[presenters.pipeline(p, counts.get(p.id, 0), last.get(p.id)) for p in page.results],
    )


@router.post(
    "/",
    response_model=PipelineDetail,
    status_code=status.HTTP_201_CREATED,
    summary="Create a pipeline with its steps",
)
async def create_pipeline(
    data: PipelineCreate, session: SessionDep, principal: Writer
) -> PipelineDetail:
    return await _detail(session, await pipelines.create(session, data, principal.user))


@router.get("/{pipeline_id}/", response_model=PipelineDetail, summary="Get a pipeline")
async def get_pipeline(pipeline_id: uuid.UUID, session: SessionDep, _: Reader) -> PipelineDetail:
    return await _detail(session, await repository.pipeline(session, pipeline_id))


async def _update(
    pipeline_id: uuid.UUID, data: PipelineUpdate, session: SessionDep
) -> PipelineDetail:
    pipeline = await repository.pipeline(session, pipeline_id)
    return await _detail(session, await pipelines.update(session, pipeline, data))


@router.patch("/{pipeline_id}/", response_model=PipelineDetail, summary="Change a pipeline")
async def patch_pipeline(
    pipeline_id: uuid.UUID, data: PipelineUpdate, session: SessionDep, _: Writer
) -> PipelineDetail:
    return await _update(pipeline_id, data, session)


@router.put("/{pipeline_id}/", response_model=PipelineDetail, summary="Change a pipeline")
async def put_pipeline(
    pipeline_id: uuid.UUID, data: PipelineUpdate, session: SessionDep, _: Writer
) -> PipelineDetail:
    return await _update(pipeline_id, data, session)


@router.delete(
    "/{pipeline_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a pipeline and its runs",
)
async def delete_pipeline(pipeline_id: uuid.UUID, session: SessionDep, _: Writer) -> Response:
    await pipelines.delete(session, await repository.pipeline(session, pipeline_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{pipeline_id}/execute/",
    response_model=ExecuteAnswer,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Start a run now; follow it at /api/v1/pipeline-runs/{run_id}/ or over WebSocket",
)
async def execute_pipeline(
    pipeline_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    principal: Executor,
    data: ExecuteRequest | None = None,
) -> ExecuteAnswer:
    pipeline = await repository.pipeline(session, pipeline_id)
    found = await executor.preflight(session, settings, pipeline)
    await session.commit()  # no transaction held while the source is asked for its columns
    if found is not None:
        await executor.check_columns(found)
    pipeline = await repository.pipeline(session, pipeline_id)
    context = (data or ExecuteRequest()).context.model_dump()
    run = await runs.start(session, pipeline, context, principal.user)
    return ExecuteAnswer(
        run_id=run.id,
        status="pending",
        estimated_duration=await runs.estimated_duration(session, pipeline.id),
    )


@router.post(
    "/{pipeline_id}/stop/",
    response_model=StopAnswer,
    summary="Stop a run: a pending one now, a running one within a second (its query cancelled)",
)
async def stop_pipeline(
    pipeline_id: uuid.UUID,
    session: SessionDep,
    principal: Executor,
    data: StopRequest | None = None,
) -> StopAnswer:
    given = data or StopRequest()
    pipeline = await repository.pipeline(session, pipeline_id)
    run = await runs.stop(session, pipeline, given.run_id, given.reason, principal.user)
    state = progress.state_of(run)
    return StopAnswer(
        run_id=run.id,
        status=state,
        message="Pipeline execution stopped"
        if state == "cancelled"
        else "Pipeline execution stopping: its work is being cancelled",
    )
