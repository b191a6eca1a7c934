"""What several step types share: finding the step's connector, building polars frames."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

import polars as pl

from imas.pipelines.connectors.base import Connector
from imas.pipelines.steps.base import StepContext, StepFailed
from imas.pipelines.templating import TemplateFailed, check

C = TypeVar("C", bound=Connector)


def connector_of(ctx: StepContext, kind: type[C], step: str) -> C:
    """The run's connector for this step, of the family the step type needs."""
    if not isinstance(ctx.connector, kind):
        found = "no connector" if ctx.connector is None else f"a {ctx.connector.kind} connector"
        raise StepFailed(f"{step} needs a {kind.family} connector, not {found}")
    return ctx.connector


def valid_template(value: str) -> str:
    """A pydantic validator's body: refuse a template that does not parse."""
    try:
        check(value)
    except TemplateFailed as exc:
        raise ValueError(f"invalid template: {exc}") from None
    return value


_PLAIN: dict[type, pl.DataType] = {
    int: pl.Int64(),
    float: pl.Float64(),
    str: pl.String(),
    bool: pl.Boolean(),
}


_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def _timestamps(name: str, values: Sequence[Any], aware: bool) -> pl.Series:
    """Microseconds since the epoch, then the datetime type: ten times faster than polars
    reading datetime objects one by one."""
    epoch = _EPOCH_UTC if aware else _EPOCH
    micros = [None if v is None else (v - epoch) // _MICROSECOND for v in values]
    return pl.Series(name, micros, dtype=pl.Int64).cast(pl.Datetime("us", "UTC" if aware else None))


def _decimals(name: str, values: Sequence[Any]) -> pl.Series:
    """Through their text, at the batch's largest scale: five times faster than polars reading
    Decimal objects."""
    scale = max((-v.as_tuple().exponent for v in values if v is not None), default=0)
    text = [None if v is None else str(v) for v in values]
    return pl.Series(name, text, dtype=pl.String).cast(pl.Decimal(38, max(scale, 0)))


def _series(name: str, values: Sequence[Any]) -> pl.Series:
    """A column of a plain type is built with that type (a database column holds one type;
    much faster than inferring); anything else is inferred over the whole batch."""
    first = next((v for v in values if v is not None), None)
    dtype = _PLAIN.get(type(first))
    try:
        if isinstance(first, dt.datetime) and first.tzinfo in (None, dt.UTC):
            return _timestamps(name, values, aware=first.tzinfo is not None)
        if isinstance(first, Decimal):
            return _decimals(name, values)
    except (TypeError, ValueError, OverflowError, pl.exceptions.PolarsError):
        if isinstance(first, Decimal):  # NaN, infinities or more than 38 digits: as floats
            floats = [None if v is None else float(v) for v in values]
            return pl.Series(name, floats, dtype=pl.Float64)
        # naive and aware datetimes mixed: inferred below
    if type(first) is dt.date:
        dtype = pl.Date()
    if dtype is not None:
        try:
            return pl.Series(name, values, dtype=dtype, strict=True)
        except (TypeError, OverflowError, pl.exceptions.PolarsError):
            pass
    return pl.Series(name, values, strict=False)


def rows_to_frame(
    names: Sequence[str], rows: Sequence[Sequence[Any]], known: dict[str, pl.DataType]
) -> pl.DataFrame:
    """A frame from database rows, built column by column, each column's type inferred over
    the whole batch. Values polars cannot hold natively (UUID, IP addresses...) become strings;
    a column that is all NULL in this batch takes the type it had in an earlier one (`known`,
    updated here), so batches of one extract agree."""
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if list(names).count(n) > 1})
        raise StepFailed(
            f"the query returns several columns named {', '.join(map(repr, twice))}: "
            "give them distinct names (AS ...)"
        )
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    series: list[pl.Series] = []
    for name, values in zip(names, columns, strict=True):
        column = _series(name, values)
        if column.dtype == pl.Object:
            as_text = [None if v is None else str(v) for v in values]
            column = pl.Series(name, as_text, dtype=pl.String)
        if column.dtype == pl.Null and name in known:
            column = column.cast(known[name])
        elif column.dtype != pl.Null:
            known[name] = column.dtype
        series.append(column)
    return pl.DataFrame(series)
