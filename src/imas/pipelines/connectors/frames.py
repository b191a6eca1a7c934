"""Schema answers read off polars frames (REST samples, files in S3)."""

from __future__ import annotations

import polars as pl

from imas.pipelines.connectors.base import SchemaInfo


def dtype_name(dtype: pl.DataType) -> str:
    """`int64`, `float64`, `string`, `boolean`, `datetime`, `date`, `decimal`, `list`..."""
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if isinstance(dtype, pl.List | pl.Array):
        return "list"
    if isinstance(dtype, pl.Struct):
        return "struct"
    if dtype == pl.Null:
        return "null"
    return str(dtype).lower()


def add_frame(info: SchemaInfo, table: str, frame: pl.DataFrame) -> None:
    """One table of `info` from `frame`'s columns (every column nullable: a sample cannot tell
    that a value is never missing)."""
    for name, dtype in frame.schema.items():
        info.add(table, name, dtype_name(dtype), True)
