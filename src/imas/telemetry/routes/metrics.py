"""`/api/v1/telemetry/metrics/`: seed 002's `/metrics` (submit and fetch custom metrics)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from imas.api.deps import SessionDep, SettingsDep
from imas.db import utcnow
from imas.telemetry.exceptions import UnsupportedMediaType
from imas.telemetry.models import Aggregation
from imas.telemetry.routes.deps import Reader, Writer
from imas.telemetry.schemas import MetricIn, MetricsPage, SubmitResult
from imas.telemetry.service import ingest
from imas.telemetry.service.query import MetricsQuery, fetch

router = APIRouter(prefix="/api/v1/telemetry/metrics", tags=["telemetry"])

EXPOSITION = "text/plain"
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["metrics"],
                    "properties": {
                        "metrics": {"type": "array", "items": MetricIn.model_json_schema()}
                    },
                }
            },
            "text/plain": {
                "schema": {"type": "string"},
                "example": "# TYPE http_requests_total counter\n"
                'http_requests_total{method="GET",code="200"} 1027 1700000000000\n',
            },
        },
    }
}


@router.post(
    "/",
    response_model=SubmitResult,
    summary="Submit custom metrics: seed 002's JSON batch, or Prometheus text exposition",
    description='`Content-Type: application/json` takes `{"metrics": [{name, value, unit, '
    "timestamp, tags}]}`; `text/plain` (`version=0.0.4`) takes the Prometheus text format "
    "(labels become tags; a sample without a timestamp is now). A batch is stored whole or not "
    "at all: a bad point answers 400 `INVALID_REQUEST` naming each bad point (`details.errors`: "
    "index, field, error); more points than `IMAS_TELEMETRY_MAX_BATCH` answer 413.",
    openapi_extra=_BODY,
)
async def submit_metrics(
    request: Request, session: SessionDep, settings: SettingsDep, _: Writer
) -> SubmitResult:
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if kind not in ("application/json", EXPOSITION, ""):
        raise UnsupportedMediaType(
            f"Send application/json (seed 002's batch) or text/plain (Prometheus), not {kind}."
        )
    body = await request.body()
    return await ingest.submit(
        session, settings, body, exposition=kind != "application/json" and kind != "", now=utcnow()
    )


@router.get(
    "/",
    response_model=MetricsPage,
    summary="Fetch metrics: raw points, or one value per series and `step` bucket",
)
async def list_metrics(
    session: SessionDep,
    settings: SettingsDep,
    _: Reader,
    start_time: Annotated[str | None, Query(description="ISO 8601; default end_time - 1 h")] = None,
    end_time: Annotated[str | None, Query(description="ISO 8601; default now")] = None,
    name: Annotated[str | None, Query(max_length=200, description="The metric's name")] = None,
    metric_type: Annotated[
        str | None,
        Query(max_length=100, description="cpu, memory, requests... (the name's first word)"),
    ] = None,
    tags: Annotated[
        list[str] | None,
        Query(
            description="Tag filter `key:value`, repeatable (all must match): "
            "`?tags=host:web-01&tags=env:prod`"
        ),
    ] = None,
    step: Annotated[
        str | None,
        Query(max_length=20, description="Bucket length, seconds or `1m`, `5m`, `1h`"),
    ] = None,
    aggregation: Annotated[
        Aggregation | None,
        Query(
            description="Per bucket (with `step`; default avg): avg, min, max, sum, count, "
            "p95, rate (per second increase of a counter)"
        ),
    ] = None,
    limit: Annotated[
        int | None,
        Query(ge=1, le=100_000, description="Most items (default 1000 raw, 11000 with step)"),
    ] = None,
) -> MetricsPage:
    query = MetricsQuery(
        start_time=start_time,
        end_time=end_time,
        name=name,
        metric_type=metric_type,
        tags=tuple(tags or ()),
        step=step,
        aggregation=aggregation,
        limit=limit,
    )
    return await fetch(session, settings, query, utcnow())
