"""`/api/v1/metrics/system/` and `/api/v1/metrics/pipelines/{id}/`: seed 003's figures of data
pipelines, for any credential that may read pipelines. (The incident figures of the same prefix
are `imas.analytics.routes`: summary, trends, top-offenders, by-service, export.)"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from imas.api.deps import SessionDep
from imas.db import utcnow
from imas.pipelines.metrics_schemas import (
    Granularity,
    MetricsPeriod,
    PipelineMetrics,
    SystemMetrics,
)
from imas.pipelines.routes.deps import Reader
from imas.pipelines.service import metrics as service

router = APIRouter(prefix="/api/v1/metrics", tags=["pipelines"])


@router.get("/system/", response_model=SystemMetrics, summary="Data pipelines, right now")
async def system_metrics(session: SessionDep, _: Reader) -> SystemMetrics:
    return await service.system(session, utcnow())


@router.get(
    "/pipelines/{pipeline_id}/",
    response_model=PipelineMetrics,
    summary="A pipeline's runs over a period, with a timeline",
)
async def pipeline_metrics(
    pipeline_id: uuid.UUID,
    session: SessionDep,
    _: Reader,
    period: Annotated[
        MetricsPeriod, Query(description="How far back: 1h, 24h, 7d or 30d")
    ] = MetricsPeriod.WEEK,
    granularity: Annotated[
        Granularity | None,
        Query(
            description="Timeline buckets: minute, hour or day (default: hour for 1h and 24h, "
            f"day otherwise; at most {service.MAX_BUCKETS} buckets)"
        ),
    ] = None,
) -> PipelineMetrics:
    return await service.pipeline(session, pipeline_id, period, granularity, utcnow())
