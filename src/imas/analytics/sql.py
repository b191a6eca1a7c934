"""Date computations the figures need, written once for each dialect (SQLite, PostgreSQL).

Incident durations are stored on the incident (`Incident.seconds_to_*`); pipeline runs only keep
their timestamps, so `seconds_between` measures them in SQL. `week_start` and `time_bucket` give
the start of a period as text (`YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, UTC) that a GROUP BY can use
and Python parses back.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.roles import ExpressionElementRole
from sqlalchemy.sql.visitors import InternalTraversal


class week_start(FunctionElement[str]):
    """The Monday (UTC) of the ISO week of a timestamp, as `YYYY-MM-DD`."""

    type = String()
    inherit_cache = True

    def __init__(self, moment: ExpressionElementRole[Any]) -> None:
        super().__init__(moment)


class seconds_between(FunctionElement[float]):
    """`end - start` in seconds (a float; NULL when either is NULL).

    SQLite stores IMAS's timestamps as naive UTC text (`imas.db.UTCDateTime`), which `julianday`
    reads to the millisecond; the difference is rounded to the millisecond so that the float
    arithmetic of Julian days leaves no 1e-5 s residue. PostgreSQL measures the interval exactly
    (to the microsecond)."""

    type = Float()
    inherit_cache = True

    def __init__(self, start: ExpressionElementRole[Any], end: ExpressionElementRole[Any]) -> None:
        super().__init__(start, end)


class Granularity(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


class time_bucket(FunctionElement[str]):
    """The start of the minute, hour or day (UTC) a timestamp falls in, as
    `YYYY-MM-DD HH:MM:SS`. The granularity is part of the SQL text (and of the statement's
    cache key), never a bound parameter, so a GROUP BY on the expression matches its SELECT."""

    type = String()
    inherit_cache = True
    _traverse_internals = [
        *FunctionElement._traverse_internals,
        ("granularity", InternalTraversal.dp_string),
    ]

    def __init__(self, moment: ExpressionElementRole[Any], granularity: Granularity | str) -> None:
        self.granularity = Granularity(granularity).value
        super().__init__(moment)


def _args(element: FunctionElement[Any], compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(week_start, "sqlite")
def _week_sqlite(element: week_start, compiler: Any, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    # 'weekday 0' moves forward to Sunday (or stays on it); six days back is that week's Monday.
    return f"date({moment}, 'weekday 0', '-6 days')"


@compiles(week_start, "postgresql")
def _week_postgresql(element: week_start, compiler: Any, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"to_char(date_trunc('week', {moment} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"round((julianday({end}) - julianday({start})) * 86400.0, 3)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    # EXTRACT gives numeric (PostgreSQL 14+): a double keeps avg/sum/percentiles floats.
    return f"CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS DOUBLE PRECISION)"


_SQLITE_BUCKETS = {
    Granularity.MINUTE: "%Y-%m-%d %H:%M:00",
    Granularity.HOUR: "%Y-%m-%d %H:00:00",
    Granularity.DAY: "%Y-%m-%d 00:00:00",
}


@compiles(time_bucket, "sqlite")
def _bucket_sqlite(element: time_bucket, compiler: Any, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"strftime('{_SQLITE_BUCKETS[Granularity(element.granularity)]}', {moment})"


@compiles(time_bucket, "postgresql")
def _bucket_postgresql(element: time_bucket, compiler: Any, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    unit = Granularity(element.granularity).value
    return f"to_char(date_trunc('{unit}', {moment} AT TIME ZONE 'UTC'), 'YYYY-MM-DD HH24:MI:SS')"
