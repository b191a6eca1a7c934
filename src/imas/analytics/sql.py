"""The date computation the weekly trends need, written once for each dialect (durations are
stored on the incident: `Incident.seconds_to_*`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.roles import ExpressionElementRole


class week_start(FunctionElement[str]):
    """The Monday (UTC) of the ISO week of a timestamp, as `YYYY-MM-DD`."""

    type = String()
    inherit_cache = True

    def __init__(self, moment: ExpressionElementRole[Any]) -> None:
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
