"""The two date computations the aggregates need, written once for each dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.roles import ExpressionElementRole


class seconds_between(FunctionElement[float]):
    """`end - start` in seconds (NULL when either is NULL)."""

    type = Float()
    inherit_cache = True

    def __init__(self, start: ExpressionElementRole[Any], end: ExpressionElementRole[Any]) -> None:
        super().__init__(start, end)


class week_start(FunctionElement[str]):
    """The Monday (UTC) of the ISO week of a timestamp, as `YYYY-MM-DD`."""

    type = String()
    inherit_cache = True

    def __init__(self, moment: ExpressionElementRole[Any]) -> None:
        super().__init__(moment)


def _args(element: FunctionElement[Any], compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(week_start, "sqlite")
def _week_sqlite(element: week_start, compiler: Any, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    # 'weekday 0' moves forward to Sunday (or stays on it); six days back is that week's Monday.
    return f"date({moment}, 'weekday 0', '-6 days')"


@compiles(week_start, "postgresql")
def _week_postgresql(element: week_start, compiler: Any, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"to_char(date_trunc('week', {moment} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
