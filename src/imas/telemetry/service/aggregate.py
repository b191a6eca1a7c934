"""Aggregating points over time buckets (`step`) or over one window (alert rules).

Buckets are aligned to the epoch: `bucket = ts_ms // step_ms * step_ms`, integer arithmetic that
is the same SQL on SQLite and PostgreSQL. Where each aggregation is computed:

* avg, min, max, sum, count: in SQL (`GROUP BY series_id, bucket`), on both backends;
* p95: in SQL on PostgreSQL (`percentile_cont(0.95) WITHIN GROUP (ORDER BY value)`); on SQLite,
  which has no percentile, in Python from the range's rows (bounded: at most
  `IMAS_TELEMETRY_QUERY_MAX_POINTS`, else a 400 asking for a shorter range);
* rate: in Python from the range's rows (same bound): per second increase of a counter, a drop
  being a counter reset (the new value is all increase), each increase counted in the bucket of
  its later sample, divided by the bucket's length (the window's, for rules).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from imas.telemetry import repository
from imas.telemetry.exceptions import InvalidRequest
from imas.telemetry.models import Aggregation, Point

Key = tuple[int, int]
"""(series id, bucket start in epoch ms)"""

_SQL: dict[Aggregation, Any] = {
    Aggregation.AVG: func.avg,
    Aggregation.MIN: func.min,
    Aggregation.MAX: func.max,
    Aggregation.SUM: func.sum,
}


async def aggregate(
    session: AsyncSession,
    series_ids: Sequence[int],
    start_ms: int,
    end_ms: int,
    step_ms: int | None,
    aggregation: Aggregation,
    max_points: int,
) -> dict[Key, float]:
    """`aggregation` of each series' points in [start, end], per bucket of `step_ms` (or over the
    whole range, keyed by `start_ms`, when `step_ms` is None)."""
    if not series_ids:
        return {}
    postgres = session.get_bind().dialect.name == "postgresql"
    if (
        aggregation in _SQL
        or aggregation == Aggregation.COUNT
        or (aggregation == Aggregation.P95 and postgres)
    ):
        if aggregation == Aggregation.COUNT:
            measure: Any = func.count()
        elif aggregation == Aggregation.P95:
            measure = func.percentile_cont(0.95).within_group(Point.value)
        else:
            measure = _SQL[aggregation](Point.value)
        return await repository.grouped(session, series_ids, start_ms, end_ms, step_ms, measure)
    points = await repository.points_by_series(
        session, series_ids, start_ms, end_ms, max_points + 1
    )
    if len(points) > max_points:
        raise InvalidRequest.field(
            "start_time",
            f"the range holds more than {max_points} points: query a shorter range or fewer series",
        )
    length_ms = step_ms or max(end_ms - start_ms, 1)
    if aggregation == Aggregation.P95:
        return _p95(points, step_ms, start_ms)
    return _rate(points, step_ms, start_ms, length_ms)


def _bucket_of(ts_ms: int, step_ms: int | None, start_ms: int) -> int:
    return ts_ms // step_ms * step_ms if step_ms else start_ms


def percentile(values: list[float], q: float = 0.95) -> float:
    """Linear interpolation between closest ranks (what `percentile_cont` computes)."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _p95(
    points: list[tuple[int, int, float]], step_ms: int | None, start_ms: int
) -> dict[Key, float]:
    groups: dict[Key, list[float]] = defaultdict(list)
    for series_id, ts_ms, value in points:
        groups[(series_id, _bucket_of(ts_ms, step_ms, start_ms))].append(value)
    return {key: percentile(values) for key, values in groups.items()}


def _rate(
    points: list[tuple[int, int, float]], step_ms: int | None, start_ms: int, length_ms: int
) -> dict[Key, float]:
    increase: dict[Key, float] = {}
    previous: tuple[int, float] | None = None
    for series_id, ts_ms, value in points:
        key = (series_id, _bucket_of(ts_ms, step_ms, start_ms))
        if previous is None or previous[0] != series_id:
            increase.setdefault(key, 0.0)
        else:
            delta = value - previous[1]
            increase[key] = increase.get(key, 0.0) + (delta if delta >= 0 else value)
        previous = (series_id, value)
    return {key: total / (length_ms / 1000) for key, total in increase.items()}
