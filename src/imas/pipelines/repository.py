"""Every query of the pipelines domain (scoped to the session's organization by `imas.db`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.api.filtering import apply_ordering, apply_search
from imas.automation.models import ACTIVE, Run, RunStatus, RunTask
from imas.errors import NotFound
from imas.pipelines.models import Connector, Pipeline, PipelineStep
from imas.repository import get_or_404

PIPELINE_ACTION = "pipeline"
"""The `action` of a pipeline's runs in the run engine's table."""


async def connector(session: AsyncSession, ident: uuid.UUID | str) -> Connector:
    return await get_or_404(session, Connector, ident, "connector")


def connectors(
    *, connector_type: str | None, is_active: bool | None, search: str | None
) -> Select[Any]:
    stmt = select(Connector)
    if connector_type:
        stmt = stmt.where(Connector.connector_type == connector_type)
    if is_active is not None:
        stmt = stmt.where(Connector.is_active == is_active)
    stmt = apply_search(stmt, search, [Connector.name])
    return stmt.order_by(Connector.name, Connector.id)


async def connector_in_use(session: AsyncSession, connector_id: uuid.UUID) -> list[str]:
    """Names of the pipelines with a step using the connector."""
    found = await session.scalars(
        select(Pipeline.name)
        .join(PipelineStep, PipelineStep.pipeline_id == Pipeline.id)
        .where(PipelineStep.connector_id == connector_id)
        .distinct()
        .order_by(Pipeline.name)
    )
    return list(found)


async def pipeline(session: AsyncSession, ident: uuid.UUID | str) -> Pipeline:
    return await get_or_404(session, Pipeline, ident, "pipeline")


async def lock_pipeline(session: AsyncSession, pipeline_id: uuid.UUID) -> Pipeline | None:
    return await session.scalar(
        select(Pipeline)
        .where(Pipeline.id == pipeline_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def pipelines(
    *,
    status: Sequence[str] = (),
    search: str | None = None,
    ordering: str | None = None,
    created_at_gte: datetime | None = None,
    created_at_lte: datetime | None = None,
) -> Select[Any]:
    stmt = select(Pipeline)
    if status:
        stmt = stmt.where(Pipeline.status.in_(status))
    if created_at_gte is not None:
        stmt = stmt.where(Pipeline.created_at >= created_at_gte)
    if created_at_lte is not None:
        stmt = stmt.where(Pipeline.created_at <= created_at_lte)
    stmt = apply_search(stmt, search, [Pipeline.name, Pipeline.description])
    return apply_ordering(
        stmt,
        ordering,
        {
            "created_at": Pipeline.created_at,
            "updated_at": Pipeline.updated_at,
            "name": Pipeline.name,
            "status": Pipeline.status,
        },
        "-created_at",
        Pipeline.id,
    )


async def steps(session: AsyncSession, pipeline_id: uuid.UUID) -> list[PipelineStep]:
    found = await session.scalars(
        select(PipelineStep)
        .where(PipelineStep.pipeline_id == pipeline_id)
        .order_by(PipelineStep.order_index)
    )
    return list(found)


async def steps_counts(
    session: AsyncSession, pipeline_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not pipeline_ids:
        return {}
    rows = await session.execute(
        select(PipelineStep.pipeline_id, func.count())
        .where(PipelineStep.pipeline_id.in_(pipeline_ids))
        .group_by(PipelineStep.pipeline_id)
    )
    return {pid: int(n) for pid, n in rows}


async def last_runs(
    session: AsyncSession, pipeline_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Run]:
    """Each pipeline's newest run (one query)."""
    if not pipeline_ids:
        return {}
    newest = (
        select(Run.pipeline_id, func.max(Run.created_at).label("created_at"))
        .where(Run.pipeline_id.in_(pipeline_ids))
        .group_by(Run.pipeline_id)
        .subquery()
    )
    found = await session.scalars(
        select(Run).join(
            newest,
            (Run.pipeline_id == newest.c.pipeline_id) & (Run.created_at == newest.c.created_at),
        )
    )
    return {r.pipeline_id: r for r in found if r.pipeline_id is not None}


async def active_run(session: AsyncSession, pipeline_id: uuid.UUID) -> Run | None:
    return await session.scalar(
        select(Run)
        .where(Run.pipeline_id == pipeline_id, Run.status.in_(ACTIVE))
        .order_by(Run.created_at.desc())
        .limit(1)
    )


async def recent_durations(
    session: AsyncSession, pipeline_id: uuid.UUID, n: int = 10
) -> list[float]:
    rows = await session.execute(
        select(Run.started_at, Run.finished_at)
        .where(
            Run.pipeline_id == pipeline_id,
            Run.status == RunStatus.SUCCEEDED,
            Run.started_at.is_not(None),
            Run.finished_at.is_not(None),
        )
        .order_by(Run.created_at.desc())
        .limit(n)
    )
    return [(f - s).total_seconds() for s, f in rows if s is not None and f is not None]


async def recent_rows(session: AsyncSession, pipeline_id: uuid.UUID) -> int | None:
    """Rows the last successful run moved (what the next one's progress is measured against)."""
    result = await session.scalar(
        select(Run.result)
        .where(Run.pipeline_id == pipeline_id, Run.status == RunStatus.SUCCEEDED)
        .order_by(Run.created_at.desc())
        .limit(1)
    )
    if not result:
        return None
    rows = result.get("total_rows_processed")
    return int(rows) if isinstance(rows, int | float) else None


async def pipeline_run(session: AsyncSession, ident: uuid.UUID | str) -> Run:
    run = await get_or_404(session, Run, ident, "pipeline run")
    if run.pipeline_id is None:  # a remediation run: not one of this list
        raise NotFound.of("pipeline run", ident)
    return run


async def tasks(session: AsyncSession, run_ids: Sequence[uuid.UUID]) -> list[RunTask]:
    if not run_ids:
        return []
    found = await session.scalars(
        select(RunTask).where(RunTask.run_id.in_(run_ids)).order_by(RunTask.step)
    )
    return list(found)


async def pipelines_named(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Pipeline]:
    if not ids:
        return {}
    found = await session.scalars(select(Pipeline).where(Pipeline.id.in_(set(ids))))
    return {p.id: p for p in found}
