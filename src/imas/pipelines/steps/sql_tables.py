"""Target tables of `sql_load`: reading one, making one from a batch's polars schema, and the
batch prepared for the database's driver."""

from __future__ import annotations

import json
from typing import Any

import polars as pl
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    inspect,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import NoSuchTableError
from sqlalchemy.types import TypeEngine


def reflect(conn: Connection, name: str, schema: str | None) -> Table | None:
    """The table as it is in the database, None when it does not exist."""
    try:
        return Table(name, MetaData(), schema=schema, autoload_with=conn)
    except NoSuchTableError:
        return None


def unique_keys(conn: Connection, name: str, schema: str | None) -> list[set[str]]:
    """The column sets of the table's primary key, unique constraints and unique indexes (an
    upsert needs its key to be one of them)."""
    inspector = inspect(conn)
    found = [set(inspector.get_pk_constraint(name, schema=schema)["constrained_columns"])]
    found += [set(u["column_names"]) for u in inspector.get_unique_constraints(name, schema)]
    found += [
        {c for c in i["column_names"] if c is not None}
        for i in inspector.get_indexes(name, schema=schema)
        if i["unique"]
    ]
    return [columns for columns in found if columns]


def column_type(dtype: pl.DataType, dialect: str, in_key: bool) -> TypeEngine[Any]:
    """The SQL type a new table gives a column of `dtype`."""
    if dtype in (pl.Int8, pl.Int16, pl.Int32, pl.UInt8, pl.UInt16):
        return Integer()
    if dtype in (pl.Int64, pl.UInt32):
        return BigInteger()
    if dtype == pl.UInt64:
        return Numeric(20, 0)
    if dtype == pl.Float32:
        return Float(24)
    if dtype == pl.Float64:
        return Double()
    if dtype == pl.Boolean:
        return Boolean()
    if dtype == pl.Date:
        return Date()
    if dtype == pl.Time:
        return Time()
    if isinstance(dtype, pl.Datetime):
        if dialect == "mysql":
            return mysql.DATETIME(fsp=6)
        return DateTime(timezone=dtype.time_zone is not None)
    if isinstance(dtype, pl.Decimal):
        return Numeric(dtype.precision or 38, dtype.scale)
    if dtype == pl.Binary:
        return LargeBinary()
    if isinstance(dtype, pl.List | pl.Array | pl.Struct):
        return postgresql.JSONB() if dialect == "postgresql" else JSON()
    if dialect == "mysql" and in_key:  # MySQL indexes no TEXT without a length
        return String(255)
    return Text()


def new_table(
    name: str, schema: str | None, frame: pl.DataFrame, key: list[str], dialect: str
) -> Table:
    columns = [
        Column(
            column,
            column_type(dtype, dialect, column in key),
            primary_key=column in key,
            nullable=column not in key,
        )
        for column, dtype in frame.schema.items()
    ]
    return Table(name, MetaData(), *columns, schema=schema)


def _json_text(values: pl.Series) -> pl.Series:
    return pl.Series(
        values.name, [None if v is None else json.dumps(v, default=str) for v in values.to_list()]
    )


def for_driver(frame: pl.DataFrame, dialect: str) -> pl.DataFrame:
    """The batch in values both drivers take: date-times with a zone in UTC (and naive for
    MySQL, which keeps no zone), nested values as JSON text, binary as PostgreSQL's hex."""
    changes: list[pl.Expr | pl.Series] = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            utc = col.dt.convert_time_zone("UTC")
            changes.append(utc.dt.replace_time_zone(None) if dialect == "mysql" else utc)
        elif isinstance(dtype, pl.List | pl.Array | pl.Struct):
            changes.append(_json_text(frame[name]))
        elif dtype == pl.Binary and dialect == "postgresql":
            changes.append(pl.lit("\\x") + col.bin.encode("hex"))
        elif dtype == pl.Null:
            changes.append(col.cast(pl.String))
    return frame.with_columns(changes) if changes else frame
