"""Column operations on each batch, in order, with polars expressions only (no code is ever
evaluated). The operations are data: `{"type": "rename_columns", "mapping": {"customer_id":
"id"}}`, `select`, `drop`, `cast`, `filter`, `dedupe`, `fill_null`, `add_column`.

A run checks the operations against the extract's columns before it moves any row
(`output_columns`), so a misspelt column fails the run at once with the list of real columns.
`dedupe` works within a batch; a load's upsert key removes duplicates across batches.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from imas.pipelines.steps.base import StepConfig, StepFailed, Transform

CastType = Literal["int", "float", "string", "bool", "datetime", "date"]
FilterOp = Literal[
    "eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "is_null", "not_null", "contains"
]
_TRUE = ["true", "t", "1", "yes", "y", "on"]
_FALSE = ["false", "f", "0", "no", "n", "off"]


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def uses(self) -> list[str]:
        """The input columns the operation names."""
        return []

    def after(self, columns: list[str]) -> list[str]:
        return columns

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        raise NotImplementedError


class RenameColumns(_Op):
    type: Literal["rename_columns"]
    mapping: dict[str, str] = Field(min_length=1)

    def uses(self) -> list[str]:
        return list(self.mapping)

    def after(self, columns: list[str]) -> list[str]:
        renamed = [self.mapping.get(c, c) for c in columns]
        twice = sorted({c for c in renamed if renamed.count(c) > 1})
        if twice:
            raise ValueError(f"two columns would be named {twice[0]!r}")
        return renamed

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.rename(self.mapping)


class Select(_Op):
    type: Literal["select"]
    columns: list[str] = Field(min_length=1)

    def uses(self) -> list[str]:
        return self.columns

    def after(self, columns: list[str]) -> list[str]:
        return list(dict.fromkeys(self.columns))

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(list(dict.fromkeys(self.columns)))


class Drop(_Op):
    type: Literal["drop"]
    columns: list[str] = Field(min_length=1)

    def uses(self) -> list[str]:
        return self.columns

    def after(self, columns: list[str]) -> list[str]:
        return [c for c in columns if c not in self.columns]

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.drop(self.columns)


class Cast(_Op):
    """Values that do not convert fail the batch (`strict`), or become null."""

    type: Literal["cast"]
    columns: dict[str, CastType] = Field(min_length=1)
    strict: bool = True

    def uses(self) -> list[str]:
        return list(self.columns)

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        exprs = [
            _cast(frame.schema[name], name, to, self.strict) for name, to in self.columns.items()
        ]
        result = frame.with_columns(exprs)
        if self.strict:  # text read as booleans: a value that is not one fails the batch
            for name, to in self.columns.items():
                if to == "bool" and frame.schema[name] == pl.String:
                    bad = frame[name].filter(frame[name].is_not_null() & result[name].is_null())
                    if bad.len():
                        raise ValueError(f"column {name!r}: {bad[0]!r} is not a boolean")
        return result


def _cast(dtype: pl.DataType, name: str, to: CastType, strict: bool) -> pl.Expr:
    col = pl.col(name)
    text = dtype == pl.String
    if to == "bool" and text:
        lowered = col.str.strip_chars().str.to_lowercase()
        return (
            pl.when(lowered.is_in(_TRUE)).then(True)
            .when(lowered.is_in(_FALSE)).then(False)
            .otherwise(None)
            .alias(name)
        )  # fmt: skip
    if to == "datetime" and text:
        return col.str.to_datetime(strict=strict, time_unit="us")
    if to == "date" and text:
        return col.str.to_date(strict=strict)
    target: dict[CastType, pl.DataType] = {
        "int": pl.Int64(),
        "float": pl.Float64(),
        "string": pl.String(),
        "bool": pl.Boolean(),
        "datetime": pl.Datetime("us"),
        "date": pl.Date(),
    }
    return col.cast(target[to], strict=strict)


class Filter(_Op):
    """Keep the rows where `column op value` holds (a null compares as false)."""

    type: Literal["filter"]
    column: str
    op: FilterOp
    value: Any = None

    @model_validator(mode="after")
    def _value_fits(self) -> Filter:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"{self.op} needs a list as value")
        if self.op == "contains" and not isinstance(self.value, str):
            raise ValueError("contains needs a string as value")
        return self

    def uses(self) -> list[str]:
        return [self.column]

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        col, dtype = pl.col(self.column), frame.schema[self.column]
        if self.op == "is_null":
            return frame.filter(col.is_null())
        if self.op == "not_null":
            return frame.filter(col.is_not_null())
        if self.op == "contains":
            return frame.filter(col.cast(pl.String).str.contains(self.value, literal=True))
        if self.op in ("in", "not_in"):
            values = pl.Series([_literal(v, dtype) for v in self.value], strict=False)
            kept = col.is_in(values.cast(dtype, strict=False).implode())
            return frame.filter(kept if self.op == "in" else ~kept)
        value = pl.lit(_literal(self.value, dtype))
        compare = {
            "eq": col.__eq__, "ne": col.__ne__, "gt": col.__gt__,
            "gte": col.__ge__, "lt": col.__lt__, "lte": col.__le__,
        }[self.op]  # fmt: skip
        return frame.filter(compare(value).fill_null(False))


def _literal(value: Any, dtype: pl.DataType) -> Any:
    """A JSON value as a column of `dtype` compares with it (ISO strings for date-times)."""
    if isinstance(value, str) and isinstance(dtype, pl.Datetime):
        moment = dt.datetime.fromisoformat(value)
        if dtype.time_zone is None and moment.tzinfo is not None:
            return moment.astimezone(dt.UTC).replace(tzinfo=None)
        if dtype.time_zone is not None and moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        return moment
    if isinstance(value, str) and dtype == pl.Date:
        return dt.date.fromisoformat(value)
    return value


class Dedupe(_Op):
    """Drop rows repeating the values of `subset` (all columns when absent) in the batch."""

    type: Literal["dedupe"]
    subset: list[str] | None = None
    keep: Literal["first", "last"] = "first"

    def uses(self) -> list[str]:
        return self.subset or []

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.unique(subset=self.subset, keep=self.keep, maintain_order=True)


class FillNull(_Op):
    type: Literal["fill_null"]
    columns: dict[str, Any] = Field(min_length=1)

    def uses(self) -> list[str]:
        return list(self.columns)

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.col(name).fill_null(_literal(value, frame.schema[name]))
            for name, value in self.columns.items()
        )


class AddColumn(_Op):
    """A new (or replaced) column: a constant `value`, or `from_column` through `op`."""

    type: Literal["add_column"]
    name: str = Field(min_length=1)
    value: Any = None
    from_column: str | None = None
    op: Literal["copy", "upper", "lower", "strip", "length"] = "copy"

    def uses(self) -> list[str]:
        return [self.from_column] if self.from_column else []

    def after(self, columns: list[str]) -> list[str]:
        return columns if self.name in columns else [*columns, self.name]

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        if self.from_column is None:
            return frame.with_columns(pl.lit(self.value).alias(self.name))
        source = pl.col(self.from_column)
        text = source.cast(pl.String)
        expr = {
            "copy": source,
            "upper": text.str.to_uppercase(),
            "lower": text.str.to_lowercase(),
            "strip": text.str.strip_chars(),
            "length": text.str.len_chars(),
        }[self.op]
        return frame.with_columns(expr.alias(self.name))


Operation = Annotated[
    RenameColumns | Select | Drop | Cast | Filter | Dedupe | FillNull | AddColumn,
    Field(discriminator="type"),
]


class TransformConfig(StepConfig):
    transformations: list[Operation] = Field(min_length=1)


class TransformStep(Transform):
    kind: ClassVar[str] = "transform"
    Config = TransformConfig
    config: TransformConfig

    def _check(self, index: int, op: Operation, columns: list[str]) -> list[str]:
        label = f"transform {index} ({op.type})"
        for name in op.uses():
            if name not in columns:
                raise StepFailed(
                    f"{label}: unknown column {name!r}; the columns are {', '.join(columns)}"
                )
        try:
            return op.after(columns)
        except ValueError as exc:
            raise StepFailed(f"{label}: {exc}") from None

    def output_columns(self, columns: list[str]) -> list[str]:
        for index, op in enumerate(self.config.transformations, start=1):
            columns = self._check(index, op, columns)
        return columns

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        for index, op in enumerate(self.config.transformations, start=1):
            self._check(index, op, frame.columns)
            try:
                frame = op.apply(frame)
            except (pl.exceptions.PolarsError, ValueError, TypeError) as exc:
                message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                raise StepFailed(f"transform {index} ({op.type}): {message}") from None
        return frame
