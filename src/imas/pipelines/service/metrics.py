"""Seed 003's figures of data pipelines: the whole system's, and one pipeline's over a period.

Each figure comes from an aggregate query over the caller's organization (the session's tenancy
guard scopes every table); Python only fills the empty buckets of the timeline and shapes the
answer. A pipeline's runs are the run engine's `automation_runs` rows with `pipeline_id` set.

Definitions:

- A run *finished* when it succeeded or failed (a cancelled run is neither); its *duration* is
  `finished_at - started_at` in seconds (`analytics.sql.seconds_between`).
- Success rates are `succeeded / (succeeded + failed)`, rounded to 4 decimals; with no finished
  run they are 0.0 (the seed always shows a number; `executions` or `total_executions` says
  whether there was anything to measure). Durations without a finished run are 0 too.
- System: `success_rate_24h` and `average_execution_time` cover the runs that finished in the
  last 24 h (`now - 24h <= finished_at <= now`); `total_data_processed_today` sums
  `result.total_rows_processed` of every run that finished (in any state) since 00:00 UTC.
- One pipeline: the runs *created* in the period (`now - period <= created_at <= now`).
  `total_rows_processed` sums every one of them; `average_throughput` is the successful runs'
  rows divided by their seconds. Median and p95 use linear interpolation between the two
  nearest ranks (PostgreSQL's `percentile_cont`, numpy's default): with the n durations sorted,
  position `p * (n - 1)` counted from 0. On SQLite the two values around that position come from
  an `ORDER BY duration LIMIT 2 OFFSET k` query, so both dialects give the same number.
- Timeline: runs grouped by the bucket (minute, hour or day, UTC) their `created_at` falls in;
  every bucket from the one holding `now - period` to the one holding `now` is listed, empty
  ones with 0 executions and 0.0 rate and duration. The first and last buckets are partial.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.analytics.sql import Granularity, seconds_between, time_bucket
from imas.automation.models import Run, RunStatus
from imas.errors import ValidationFailed
from imas.pipelines import repository
from imas.pipelines.metrics_schemas import (
    MetricsPeriod,
    PipelineFigures,
    PipelineMetrics,
    SystemMetrics,
    TimelinePoint,
)
from imas.pipelines.models import Pipeline, PipelineStatus

PERIODS: dict[MetricsPeriod, timedelta] = {
    MetricsPeriod.HOUR: timedelta(hours=1),
    MetricsPeriod.DAY: timedelta(hours=24),
    MetricsPeriod.WEEK: timedelta(days=7),
    MetricsPeriod.MONTH: timedelta(days=30),
}
STEPS: dict[Granularity, timedelta] = {
    Granularity.MINUTE: timedelta(minutes=1),
    Granularity.HOUR: timedelta(hours=1),
    Granularity.DAY: timedelta(days=1),
}
MAX_BUCKETS = 2000
"""A timeline longer than this (30 days by the minute...) is refused: ask for a coarser one."""

RUNNING = (RunStatus.RUNNING, RunStatus.WAITING)
QUEUED = (RunStatus.QUEUED, RunStatus.RETRYING)
FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED)
PERCENTILES = (0.5, 0.95)

_DURATION = seconds_between(Run.started_at, Run.finished_at)
_ROWS = Run.result["total_rows_processed"].as_numeric(20, 0)
"""The run's rows (`as_numeric` rather than `as_integer`: a run may move more than 2**31)."""
_IS_PIPELINE_RUN = Run.pipeline_id.is_not(None)


def _timed(*statuses: str) -> ColumnElement[bool]:
    """The run ended in one of `statuses` and has both timestamps (so a duration)."""
    return and_(Run.status.in_(statuses), Run.started_at.is_not(None), Run.finished_at.is_not(None))


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _rate(succeeded: int, failed: int) -> float:
    done = succeeded + failed
    return round(succeeded / done, 4) if done else 0.0


def _seconds(value: float | None) -> float:
    return round(float(value), 3) if value is not None else 0.0


# The system ----------------------------------------------------------------------------------


async def system(session: AsyncSession, now: datetime) -> SystemMetrics:
    active = await session.scalar(
        select(func.count(Pipeline.id)).where(Pipeline.status == PipelineStatus.ACTIVE)
    )
    day_ago = now - timedelta(hours=24)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    last_day = _timed(*FINISHED) & (Run.finished_at >= day_ago) & (Run.finished_at <= now)
    today = (Run.finished_at >= midnight) & (Run.finished_at <= now)
    row = (
        await session.execute(
            select(
                _count(Run.status.in_(RUNNING)).label("running"),
                _count(Run.status.in_(QUEUED)).label("queued"),
                _count(last_day & (Run.status == RunStatus.SUCCEEDED)).label("succeeded"),
                _count(last_day & (Run.status == RunStatus.FAILED)).label("failed"),
                func.avg(case((last_day, _DURATION))).label("duration"),
                func.coalesce(func.sum(case((today, _ROWS))), 0).label("rows"),
            ).where(
                _IS_PIPELINE_RUN,
                # Only these rows count for any figure (midnight is after `day_ago`): the history
                # of older runs is not read.
                or_(Run.status.in_((*RUNNING, *QUEUED)), Run.finished_at >= day_ago),
            )
        )
    ).one()
    return SystemMetrics(
        active_pipelines=int(active or 0),
        running_executions=int(row.running),
        queued_tasks=int(row.queued),
        success_rate_24h=_rate(int(row.succeeded), int(row.failed)),
        average_execution_time=round(row.duration) if row.duration is not None else 0,
        total_data_processed_today=int(row.rows),
    )


# One pipeline --------------------------------------------------------------------------------


def default_granularity(period: MetricsPeriod) -> Granularity:
    return (
        Granularity.HOUR if period in (MetricsPeriod.HOUR, MetricsPeriod.DAY) else Granularity.DAY
    )


def truncate(moment: datetime, granularity: Granularity) -> datetime:
    """The start of the bucket `moment` falls in (UTC), as `time_bucket` computes it in SQL."""
    moment = moment.replace(second=0, microsecond=0)
    if granularity is Granularity.MINUTE:
        return moment
    moment = moment.replace(minute=0)
    return moment if granularity is Granularity.HOUR else moment.replace(hour=0)


def buckets(period: MetricsPeriod, granularity: Granularity, now: datetime) -> list[datetime]:
    """Every bucket start of the period, oldest first (400 beyond `MAX_BUCKETS`)."""
    first = truncate(now - PERIODS[period], granularity)
    last = truncate(now, granularity)
    step = STEPS[granularity]
    count = (last - first) // step + 1
    if count > MAX_BUCKETS:
        raise ValidationFailed(
            f"granularity: {period.value} by the {granularity.value} makes {count} buckets; at "
            f"most {MAX_BUCKETS}: choose a coarser granularity",
            details={"granularity": [f"at most {MAX_BUCKETS} buckets per timeline"]},
        )
    return [first + i * step for i in range(count)]


async def pipeline(
    session: AsyncSession,
    pipeline_id: uuid.UUID,
    period: MetricsPeriod,
    granularity: Granularity | None,
    now: datetime,
) -> PipelineMetrics:
    """One pipeline's figures and timeline (404 outside the organization)."""
    found = await repository.pipeline(session, pipeline_id)
    granularity = granularity or default_granularity(period)
    starts = buckets(period, granularity, now)
    in_period = and_(
        Run.pipeline_id == found.id,
        Run.created_at >= now - PERIODS[period],
        Run.created_at <= now,
    )
    figures = await _figures(session, in_period)
    points = await _timeline(session, in_period, granularity)
    return PipelineMetrics(
        pipeline_id=found.id,
        period=period,
        granularity=granularity,
        metrics=figures,
        timeline=[points.get(start) or _empty(start) for start in starts],
    )


def _empty(start: datetime) -> TimelinePoint:
    return TimelinePoint(timestamp=start, executions=0, success_rate=0.0, avg_duration=0.0)


async def _figures(session: AsyncSession, in_period: ColumnElement[bool]) -> PipelineFigures:
    finished = _timed(*FINISHED)
    succeeded = _timed(RunStatus.SUCCEEDED)
    durations = case((finished, _DURATION))
    postgres = session.get_bind().dialect.name == "postgresql"
    percentiles = (
        [
            func.percentile_cont(literal(p, literal_execute=True))
            .within_group(durations)
            .label(f"p{round(p * 100)}")
            for p in PERCENTILES
        ]
        if postgres
        else []
    )
    row = (
        await session.execute(
            select(
                func.count(Run.id).label("total"),
                _count(Run.status == RunStatus.SUCCEEDED).label("succeeded"),
                _count(Run.status == RunStatus.FAILED).label("failed"),
                func.count(durations).label("timed"),
                func.avg(durations).label("duration"),
                func.coalesce(func.sum(_ROWS), 0).label("rows"),
                func.coalesce(func.sum(case((succeeded, _ROWS))), 0).label("ok_rows"),
                func.coalesce(func.sum(case((succeeded, _DURATION))), 0).label("ok_seconds"),
                *percentiles,
            ).where(in_period)
        )
    ).one()
    if postgres:
        median, p95 = row.p50, row.p95
    else:
        median, p95 = [
            await _percentile(session, in_period, finished, int(row.timed), p) for p in PERCENTILES
        ]
    ok_seconds = float(row.ok_seconds)
    return PipelineFigures(
        total_executions=int(row.total),
        successful_executions=int(row.succeeded),
        failed_executions=int(row.failed),
        success_rate=_rate(int(row.succeeded), int(row.failed)),
        average_duration=_seconds(row.duration),
        median_duration=_seconds(median),
        p95_duration=_seconds(p95),
        total_rows_processed=int(row.rows),
        average_throughput=round(int(row.ok_rows) / ok_seconds, 3) if ok_seconds > 0 else 0.0,
    )


async def _percentile(
    session: AsyncSession,
    in_period: ColumnElement[bool],
    finished: ColumnElement[bool],
    n: int,
    p: float,
) -> float | None:
    """`percentile_cont(p)` of the n durations, for SQLite: the two values around position
    `p * (n - 1)` of the sorted durations, interpolated."""
    if n == 0:
        return None
    position = p * (n - 1)
    below = math.floor(position)
    found = list(
        await session.scalars(
            select(_DURATION).where(in_period, finished).order_by(_DURATION).limit(2).offset(below)
        )
    )
    if not found:  # the runs changed between the two queries
        return None
    low = float(found[0])
    high = float(found[1]) if len(found) > 1 else low
    return low + (position - below) * (high - low)


async def _timeline(
    session: AsyncSession, in_period: ColumnElement[bool], granularity: Granularity
) -> dict[datetime, TimelinePoint]:
    bucket = time_bucket(Run.created_at, granularity).label("bucket")
    rows = await session.execute(
        select(
            bucket,
            func.count(Run.id).label("executions"),
            _count(Run.status == RunStatus.SUCCEEDED).label("succeeded"),
            _count(Run.status == RunStatus.FAILED).label("failed"),
            func.avg(case((_timed(*FINISHED), _DURATION))).label("duration"),
        )
        .where(in_period)
        .group_by(bucket)
    )
    points: dict[datetime, TimelinePoint] = {}
    for row in rows:
        start = datetime.fromisoformat(row.bucket).replace(tzinfo=UTC)
        points[start] = TimelinePoint(
            timestamp=start,
            executions=int(row.executions),
            success_rate=_rate(int(row.succeeded), int(row.failed)),
            avg_duration=_seconds(row.duration),
        )
    return points
