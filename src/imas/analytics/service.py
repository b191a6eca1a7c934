"""The figures of `/api/v1/metrics/`, each from one aggregate query over the caller's
organization (the session's tenancy guard scopes every table); Python only shapes the rows.

MTTD, MTTA and MTTR are measured as on an incident's page (`incidents.presenters.kpis`):
detection to creation, creation to acknowledgement, creation to resolution, each stored on the
incident (`Incident.seconds_to_*`) so an aggregate adds numbers rather than subtracting dates.
An incident meets its SLA when it was resolved within the resolve target of its severity: the
organization's SLA policy, else IMAS's default (`incidents.sla.DEFAULT_TARGETS`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.analytics.schemas import (
    ByService,
    Period,
    ServiceFigures,
    Summary,
    TrendPoint,
    Trends,
)
from imas.analytics.sql import week_start
from imas.catalog.models import Service
from imas.incidents.models import Incident, Severity, SlaPolicy, Status
from imas.incidents.schemas import NamedRef
from imas.incidents.sla import DEFAULT_TARGETS

SEVERITIES = [s.value for s in Severity]
_MTTD = Incident.seconds_to_detect
_MTTA = Incident.seconds_to_acknowledge
_MTTR = Incident.seconds_to_resolve


async def _resolve_targets(session: AsyncSession) -> dict[str, int]:
    """Seconds to resolve per severity: the organization's SLA policy, else IMAS's default."""
    targets = {s: t.resolve_seconds for s, t in DEFAULT_TARGETS.items()}
    rows = await session.execute(select(SlaPolicy.severity, SlaPolicy.resolve_seconds))
    targets.update({r.severity: r.resolve_seconds for r in rows})
    return targets


def _sla_met(targets: dict[str, int]) -> Any:
    """How many were resolved within their severity's target (given as constants: no join)."""
    target = case(
        targets,
        value=Incident.severity,
        else_=literal(DEFAULT_TARGETS[Severity.SEV3_MEDIUM].resolve_seconds),
    )
    return _count(target >= _MTTR)


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _figures(targets: dict[str, int]) -> list[Any]:
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
        func.count(_MTTR).label("with_resolution"),
        _sla_met(targets).label("sla_met"),
        *(_count(Incident.severity == s).label(s) for s in SEVERITIES),
    ]


def since(period: Period, now: datetime) -> datetime:
    return now - timedelta(days=period.days)


def _seconds(value: Any) -> int | None:
    return None if value is None else round(float(value))


def _percentage(met: int, of: int) -> float | None:
    return None if not of else round(100.0 * met / of, 1)


def _by_severity(row: Any) -> dict[str, int]:
    return {s: int(getattr(row, s)) for s in SEVERITIES}


async def summary(session: AsyncSession, period: Period, now: datetime) -> Summary:
    """One pass over `ix_incidents_org_status_severity_durations`: a row per status and
    severity with its counts and sums, added up here."""
    targets = await _resolve_targets(session)
    rows = (
        await session.execute(
            select(
                Incident.status.label("status"),
                Incident.severity.label("severity"),
                func.count().label("total"),
                func.sum(_MTTD).label("mttd"),
                func.count(_MTTD).label("with_detection"),
                func.sum(_MTTA).label("mtta"),
                func.count(_MTTA).label("with_acknowledgement"),
                func.sum(_MTTR).label("mttr"),
                func.count(_MTTR).label("with_resolution"),
                _sla_met(targets).label("sla_met"),
            )
            .where(Incident.created_at >= since(period, now))
            .group_by(Incident.status, Incident.severity)
        )
    ).all()
    by_status: Counter[str] = Counter()
    by_severity: Counter[str] = Counter(dict.fromkeys(SEVERITIES, 0))
    for row in rows:
        by_status[row.status] += row.total
        by_severity[row.severity] += row.total
    total = sum(by_status.values())
    resolved = by_status[Status.RESOLVED]
    mttd = _average(rows, "mttd", "with_detection")
    mttr = _average(rows, "mttr", "with_resolution")
    return Summary(
        period=period,
        total_incidents=total,
        open_incidents=total - resolved,
        resolved_incidents=resolved,
        avg_mttd_seconds=_seconds(mttd),
        avg_mtta_seconds=_seconds(_average(rows, "mtta", "with_acknowledgement")),
        avg_mttr_seconds=_seconds(mttr),
        incidents_by_severity={s: by_severity[s] for s in SEVERITIES},
        open=by_status[Status.TRIGGERED],
        in_progress=by_status[Status.ACKNOWLEDGED] + by_status[Status.MITIGATED],
        closed=resolved,
        total=total,
        avg_mttr_minutes=None if mttr is None else round(mttr / 60, 1),
        sla_met_percentage=_percentage(
            sum(int(r.sla_met) for r in rows), sum(r.with_resolution for r in rows)
        ),
    )


def _average(rows: Sequence[Any], total: str, count: str) -> float | None:
    """The mean over the rows' groups: their sums over their counts."""
    n = sum(getattr(r, count) for r in rows)
    return None if not n else sum(float(getattr(r, total) or 0) for r in rows) / n


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
    stmt = (
        select(Service.id, Service.name, *_figures(await _resolve_targets(session)))
        .select_from(Service)
        .outerjoin(Incident, in_period)
        .group_by(Service.id, Service.name)
    )
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
