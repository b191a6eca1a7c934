"""`/api/v1/metrics/`: seed 001's summary, trends, top offenders, per-service figures and CSV
export (with seed 004's summary fields), for any credential that may read incidents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from imas.analytics import service
from imas.analytics.schemas import ByService, Period, ServiceFigures, Summary, Trends
from imas.api.deps import SessionDep
from imas.api.export import csv_response
from imas.db import utcnow
from imas.incidents.deps import Reader

router = APIRouter(prefix="/api/v1/metrics", tags=["metrics"])

PeriodParam = Annotated[Period, Query(description="How far back: 7d, 30d, 90d or 1y")]


@router.get("/summary/", response_model=Summary, summary="Incident figures over a period")
async def summary(session: SessionDep, _: Reader, period: PeriodParam = Period.MONTH) -> Summary:
    return await service.summary(session, period, utcnow())


@router.get("/trends/", response_model=Trends, summary="Incidents and MTTR per week")
async def trends(session: SessionDep, _: Reader, period: PeriodParam = Period.MONTH) -> Trends:
    return await service.trends(session, period, utcnow())


@router.get(
    "/top-offenders/",
    response_model=ByService,
    summary="The services with the most incidents over the period",
)
async def top_offenders(
    session: SessionDep,
    _: Reader,
    period: PeriodParam = Period.MONTH,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> ByService:
    return await service.by_service(session, period, utcnow(), limit=limit)


@router.get("/by-service/", response_model=ByService, summary="Every service's figures")
async def by_service(
    session: SessionDep, _: Reader, period: PeriodParam = Period.MONTH
) -> ByService:
    return await service.by_service(session, period, utcnow())


def _severity(name: str) -> tuple[str, Any]:
    return (name, lambda f: f.incidents_by_severity[name])


CSV_COLUMNS: list[tuple[str, Any]] = [
    ("Service", lambda f: f.service.name),
    ("Service ID", lambda f: f.service.id),
    ("Total Incidents", lambda f: f.total_incidents),
    ("Open Incidents", lambda f: f.open_incidents),
    ("Resolved Incidents", lambda f: f.resolved_incidents),
    ("Avg MTTA (s)", lambda f: f.avg_mtta_seconds),
    ("Avg MTTR (s)", lambda f: f.avg_mttr_seconds),
    ("SLA Met (%)", lambda f: f.sla_met_percentage),
    *(_severity(name) for name in service.SEVERITIES),
]


@router.get(
    "/export/",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    summary="Per-service figures as CSV",
)
async def export(
    session: SessionDep,
    _: Reader,
    period: PeriodParam = Period.MONTH,
    format: Annotated[Literal["csv"], Query(description="Only csv")] = "csv",
) -> StreamingResponse:
    figures = await service.by_service(session, period, utcnow())

    async def rows() -> AsyncIterator[ServiceFigures]:
        for row in figures.results:
            yield row

    return csv_response(rows(), CSV_COLUMNS, f"imas-metrics-{period.value}.csv")
