"""The figures of `/api/v1/metrics/`, each from one aggregate query over the caller's
organization (the session's tenancy guard scopes every table); Python only shapes the rows.

MTTD, MTTA and MTTR are measured as on an incident's page (`incidents.presenters.kpis`):
detection to creation, creation to acknowledgement, creation to resolution. An incident meets
its SLA when it was resolved within the resolve target of its severity: the organization's
SLA policy, else IMAS's default (`incidents.sla.DEFAULT_TARGETS`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.analytics.schemas import (
    ByService,
    Period,
    ServiceFigures,
    Summary,
    TrendPoint,
    Trends,
)
from imas.analytics.sql import seconds_between, week_start
from imas.catalog.models import Service
from imas.incidents.models import Incident, Severity, SlaPolicy, Status
from imas.incidents.schemas import NamedRef
from imas.incidents.sla import DEFAULT_TARGETS

SEVERITIES = [s.value for s in Severity]
_MTTD = seconds_between(Incident.detected_at, Incident.created_at)
_MTTA = seconds_between(Incident.created_at, Incident.acknowledged_at)
_MTTR = seconds_between(Incident.created_at, Incident.resolved_at)
_RESOLVE_TARGET = func.coalesce(
    SlaPolicy.resolve_seconds,
    case(
        *((Incident.severity == s, literal(t.resolve_seconds)) for s, t in DEFAULT_TARGETS.items()),
        else_=literal(DEFAULT_TARGETS[Severity.SEV3_MEDIUM].resolve_seconds),
    ),
)


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _figures() -> list[Any]:
    """The aggregates shared by the summary and the per-service figures."""
    return [
        func.count(Incident.id).label("total"),
        _count(Incident.status != Status.RESOLVED).label("open_incidents"),
        _count(Incident.status == Status.RESOLVED).label("resolved"),
        _count(Incident.status == Status.TRIGGERED).label("triggered"),
        _count(Incident.status.in_([Status.ACKNOWLEDGED, Status.MITIGATED])).label("in_progress"),
        func.avg(_MTTD).label("mttd"),
        func.avg(_MTTA).label("mtta"),
        func.avg(_MTTR).label("mttr"),
        func.count(Incident.resolved_at).label("with_resolution"),
        _count(and_(Incident.resolved_at.is_not(None), _MTTR <= _RESOLVE_TARGET)).label("sla_met"),
        *(_count(Incident.severity == s).label(s) for s in SEVERITIES),
    ]


def _with_sla(stmt: Select[Any]) -> Select[Any]:
    return stmt.outerjoin(SlaPolicy, SlaPolicy.severity == Incident.severity)


def since(period: Period, now: datetime) -> datetime:
    return now - timedelta(days=period.days)


def _seconds(value: Any) -> int | None:
    return None if value is None else round(float(value))


def _percentage(met: int, of: int) -> float | None:
    return None if not of else round(100.0 * met / of, 1)


def _by_severity(row: Any) -> dict[str, int]:
    return {s: int(getattr(row, s)) for s in SEVERITIES}


async def summary(session: AsyncSession, period: Period, now: datetime) -> Summary:
    row = (
        await session.execute(
            _with_sla(select(*_figures()).select_from(Incident)).where(
                Incident.created_at >= since(period, now)
            )
        )
    ).one()
    mttr = _seconds(row.mttr)
    return Summary(
        period=period,
        total_incidents=row.total,
        open_incidents=row.open_incidents,
        resolved_incidents=row.resolved,
        avg_mttd_seconds=_seconds(row.mttd),
        avg_mtta_seconds=_seconds(row.mtta),
        avg_mttr_seconds=mttr,
        incidents_by_severity=_by_severity(row),
        open=row.triggered,
        in_progress=row.in_progress,
        closed=row.resolved,
        total=row.total,
        avg_mttr_minutes=None if row.mttr is None else round(float(row.mttr) / 60, 1),
        sla_met_percentage=_percentage(row.sla_met, row.with_resolution),
    )


def _monday(moment: datetime) -> datetime:
    return (moment - timedelta(days=moment.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


async def trends(session: AsyncSession, period: Period, now: datetime) -> Trends:
    """Weekly buckets (Monday to Sunday, UTC) from the week the period starts in to this one;
    weeks without incidents are there with 0."""
    start = since(period, now)
    week = week_start(Incident.created_at).label("week")
    rows = await session.execute(
        select(week, func.count(Incident.id).label("incidents"), func.avg(_MTTR).label("mttr"))
        .where(Incident.created_at >= start)
        .group_by(week)
    )
    found = {str(r.week): r for r in rows}
    data, monday = [], _monday(start)
    while monday <= now:
        key = monday.date().isoformat()
        row = found.get(key)
        data.append(
            TrendPoint(
                date=key,
                incidents=row.incidents if row else 0,
                mttr_avg=_seconds(row.mttr) if row else None,
            )
        )
        monday += timedelta(days=7)
    return Trends(period=period, data=data)


async def by_service(
    session: AsyncSession, period: Period, now: datetime, *, limit: int | None = None
) -> ByService:
    """Every service of the organization with its figures, most incidents first (`limit`:
    only the top ones, for the top offenders)."""
    in_period = and_(Incident.service_id == Service.id, Incident.created_at >= since(period, now))
    stmt = _with_sla(
        select(Service.id, Service.name, *_figures())
        .select_from(Service)
        .outerjoin(Incident, in_period)
    ).group_by(Service.id, Service.name)
    stmt = stmt.order_by(func.count(Incident.id).desc(), Service.name)
    if limit is not None:
        stmt = stmt.where(Incident.id.is_not(None)).limit(limit)
    rows = await session.execute(stmt)
    return ByService(
        period=period,
        results=[
            ServiceFigures(
                service=NamedRef(id=r.id, name=r.name),
                total_incidents=r.total,
                open_incidents=r.open_incidents,
                resolved_incidents=r.resolved,
                avg_mtta_seconds=_seconds(r.mtta),
                avg_mttr_seconds=_seconds(r.mttr),
                incidents_by_severity=_by_severity(r),
                sla_met_percentage=_percentage(r.sla_met, r.with_resolution),
            )
            for r in rows
        ],
    )
