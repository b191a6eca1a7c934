"""Fetching metrics (seed 002's `GET /metrics`): raw points, or with `step` one value per series
and bucket (see `aggregate` for where each aggregation is computed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.telemetry import repository
from imas.telemetry.exceptions import InvalidRequest
from imas.telemetry.models import Aggregation, Series
from imas.telemetry.schemas import MetricRead, MetricsPage, seconds_of
from imas.telemetry.service.aggregate import aggregate

DEFAULT_RANGE = timedelta(hours=1)
MAX_SERIES = 1000
MAX_BUCKETS = 11_000
"""Buckets per series a query may ask for (Prometheus' own limit)."""


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    start_time: str | None = None
    end_time: str | None = None
    name: str | None = None
    metric_type: str | None = None
    tags: tuple[str, ...] = ()
    step: str | None = None
    aggregation: Aggregation | None = None
    limit: int | None = None
    """Most items returned: 1000 raw points, 11,000 buckets by default."""


def parse_time(value: str | None, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        at = datetime.fromisoformat(value.strip().replace(" ", "+"))
    except ValueError:
        raise InvalidRequest.field(field, "Invalid datetime format") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def parse_tags(values: tuple[str, ...]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for value in values:
        key, sep, wanted = value.partition(":")
        if not sep or not key:
            raise InvalidRequest.field("tags", f"'{value}' is not key:value")
        tags[key] = wanted
    return tags


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _time(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _step_seconds(q: MetricsQuery, start: datetime, end: datetime) -> int | None:
    if q.step is None or q.step == "":
        return None
    try:
        step = seconds_of(q.step.strip())
    except ValueError as exc:
        raise InvalidRequest.field("step", str(exc)) from None
    if step < 1:
        raise InvalidRequest.field("step", "must be at least 1 second")
    if (end - start).total_seconds() / step > MAX_BUCKETS:
        raise InvalidRequest.field("step", f"more than {MAX_BUCKETS} buckets: use a larger step")
    return step


def _read(series: Series, value: float, ms: int) -> MetricRead:
    return MetricRead(
        name=series.name,
        value=value,
        unit=series.unit,
        timestamp=_time(ms),
        tags=series.tags,
        metric_type=series.metric_type,
    )


async def fetch(
    session: AsyncSession, settings: Settings, q: MetricsQuery, now: datetime
) -> MetricsPage:
    end = parse_time(q.end_time, "end_time") or now
    start = parse_time(q.start_time, "start_time") or end - DEFAULT_RANGE
    if start > end:
        raise InvalidRequest.field("start_time", "must be before end_time")
    step = _step_seconds(q, start, end)
    selection = repository.series_selection(
        name=q.name, metric_type=q.metric_type, tags=parse_tags(q.tags)
    )
    found = await repository.series_list(session, selection, MAX_SERIES + 1)
    series = {s.id: s for s in found[:MAX_SERIES]}
    ids = list(series)
    start_ms, end_ms = _ms(start), _ms(end)
    page = MetricsPage(
        metrics=[],
        total_count=0,
        start_time=start,
        end_time=end,
        series_count=len(ids),
        truncated=len(found) > MAX_SERIES,
    )
    if step is None:
        page.total_count = await repository.count_points(session, ids, start_ms, end_ms)
        rows = await repository.raw_points(session, ids, start_ms, end_ms, q.limit or 1000)
        page.metrics = [_read(series[s], v, t) for s, t, v in rows]
        page.truncated = page.truncated or page.total_count > len(page.metrics)
        return page
    aggregation = q.aggregation or Aggregation.AVG
    values = await aggregate(
        session,
        ids,
        start_ms,
        end_ms,
        step * 1000,
        aggregation,
        settings.telemetry_query_max_points,
    )
    ordered = sorted(values.items(), key=lambda kv: (series[kv[0][0]].name, kv[0][0], kv[0][1]))
    page.step, page.aggregation = step, aggregation
    page.total_count = len(ordered)
    page.metrics = [_read(series[s], v, b) for (s, b), v in ordered[: q.limit or MAX_BUCKETS]]
    page.truncated = page.truncated or len(ordered) > (q.limit or MAX_BUCKETS)
    return page
