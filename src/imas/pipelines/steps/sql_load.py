"""Batches written to a PostgreSQL or MySQL table, each in its own transaction.

`upsert` (the mode when a `key` is given) makes a retried run harmless: a row written twice is
updated, never duplicated. PostgreSQL gets each batch by COPY into a temporary table and one
`INSERT ... SELECT ... ON CONFLICT (key) DO UPDATE`; MySQL and MariaDB a multi-row
`INSERT ... ON DUPLICATE KEY UPDATE`. With `create_table` the table is made from the first
batch's columns (the key as primary key) when it does not exist.

One instance serves one run (it remembers the table between `open` and `write`).
"""

from __future__ import annotations

import io
import uuid
from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import ConfigDict, Field, model_validator
from sqlalchemy import Table

from imas.pipelines.connectors.sql import SqlConnector
from imas.pipelines.steps.base import Load, StepConfig, StepContext, StepFailed
from imas.pipelines.steps.common import connector_of
from imas.pipelines.steps.sql_tables import for_driver, new_table, reflect, unique_keys


class SqlLoadConfig(StepConfig):
    model_config = ConfigDict(extra="forbid", validate_by_name=True, serialize_by_alias=True)

    connector_id: uuid.UUID
    table: str = Field(min_length=1, max_length=63)
    schema_: str | None = Field(default=None, alias="schema", min_length=1)
    """The table's schema (PostgreSQL; None: the connection's default)."""
    key: list[str] = Field(default_factory=list)
    mode: Literal["upsert", "append"] | None = None
    """`upsert` when a key is given, else `append`."""
    create_table: bool = True

    @model_validator(mode="after")
    def _upsert_needs_key(self) -> SqlLoadConfig:
        if self.mode == "upsert" and not self.key:
            raise ValueError("mode upsert needs a key (the columns that identify a row)")
        return self

    @property
    def upsert(self) -> bool:
        return self.mode == "upsert" or (self.mode is None and bool(self.key))


class SqlLoad(Load):
    kind: ClassVar[str] = "sql_load"
    connector_family: ClassVar[Literal["sql", "rest", "s3"] | None] = "sql"
    Config = SqlLoadConfig
    config: SqlLoadConfig

    _table: Table | None = None

    def _connector(self, ctx: StepContext) -> SqlConnector:
        return connector_of(ctx, SqlConnector, "sql_load")

    @property
    def _name(self) -> str:
        schema = self.config.schema_
        return f"{schema}.{self.config.table}" if schema else self.config.table

    async def open(self, ctx: StepContext) -> None:
        connector = self._connector(ctx)
        table, schema = self.config.table, self.config.schema_
        try:
            async with connector.engine().connect() as conn:
                self._table = await conn.run_sync(reflect, table, schema)
                if self._table is not None and self.config.upsert:
                    keys = await conn.run_sync(unique_keys, table, schema)
        except connector.errors as exc:
            raise StepFailed(f"{connector.kind}: {connector.reason(exc)}") from None
        if self._table is None and not self.config.create_table:
            raise StepFailed(f"the table {self._name} does not exist (and create_table is off)")
        if self._table is not None and self.config.upsert and set(self.config.key) not in keys:
            raise StepFailed(
                f"the table {self._name} has no primary key or unique index on "
                f"({', '.join(self.config.key)}), which an upsert on that key needs"
            )
        ctx.metrics.setdefault("rows_loaded", 0)

    async def write(self, ctx: StepContext, frame: pl.DataFrame, batch: int) -> int:
        if frame.height == 0:
            return 0
        connector = self._connector(ctx)
        try:
            if self._table is None:
                await self._create(connector, frame)
            frame = self._fit(frame)
            if connector.dialect == "postgresql":
                await self._write_postgres(connector, frame)
            else:
                await self._write_mysql(connector, frame)
        except connector.errors as exc:
            raise StepFailed(f"{connector.kind}: {connector.reason(exc)}") from None
        ctx.metrics["rows_loaded"] = ctx.metrics.get("rows_loaded", 0) + frame.height
        return frame.height

    async def _create(self, connector: SqlConnector, frame: pl.DataFrame) -> None:
        missing = [k for k in self.config.key if k not in frame.columns]
        if missing:
            raise StepFailed(f"the key column {missing[0]!r} is not in the batch")
        table = new_table(
            self.config.table, self.config.schema_, frame, self.config.key, connector.dialect
        )
        async with connector.engine().begin() as conn:
            await conn.run_sync(lambda c: table.create(c, checkfirst=True))
            self._table = await conn.run_sync(reflect, self.config.table, self.config.schema_)

    def _fit(self, frame: pl.DataFrame) -> pl.DataFrame:
        """The batch's columns checked against the table, duplicates of the key dropped (the
        last one wins, as if the rows had been written one after the other)."""
        assert self._table is not None
        known = [c.name for c in self._table.columns]
        unknown = [c for c in frame.columns if c not in known]
        if unknown:
            raise StepFailed(
                f"the table {self._name} has no column {unknown[0]!r}; "
                f"its columns are {', '.join(known)}"
            )
        missing = [k for k in self.config.key if k not in frame.columns]
        if missing:
            raise StepFailed(f"the key column {missing[0]!r} is not in the batch")
        if self.config.upsert:
            frame = frame.unique(subset=self.config.key, keep="last", maintain_order=True)
        return frame

    async def _write_postgres(self, connector: SqlConnector, frame: pl.DataFrame) -> None:
        assert self._table is not None
        csv = for_driver(frame, "postgresql").write_csv(
            include_header=False, null_value="\\N", quote_style="non_numeric"
        )
        columns = frame.columns
        async with connector.engine().connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            quote = conn.dialect.identifier_preparer.quote
            target = _qualified(quote, self.config.table, self.config.schema_)
            copy = {"format": "csv", "null": "\\N", "columns": columns}
            async with driver.transaction():
                if not self.config.upsert:
                    await driver.copy_to_table(
                        self.config.table,
                        schema_name=self.config.schema_,
                        source=io.BytesIO(csv.encode()),
                        **copy,
                    )
                    return
                listed = ", ".join(quote(c) for c in columns)
                await driver.execute(
                    f"CREATE TEMP TABLE imas_batch ON COMMIT DROP AS "  # noqa: S608
                    f"SELECT {listed} FROM {target} WITH NO DATA"
                )
                await driver.copy_to_table("imas_batch", source=io.BytesIO(csv.encode()), **copy)
                await driver.execute(_pg_upsert(quote, target, columns, self.config.key))

    async def _write_mysql(self, connector: SqlConnector, frame: pl.DataFrame) -> None:
        assert self._table is not None
        rows = list(for_driver(frame, "mysql").iter_rows())
        async with connector.engine().begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            target = _qualified(quote, self.config.table, self.config.schema_)
            listed = ", ".join(quote(c) for c in frame.columns)
            marks = ", ".join(["%s"] * frame.width)
            sql = f"INSERT INTO {target} ({listed}) VALUES ({marks})"  # noqa: S608
            if self.config.upsert:
                others = [c for c in frame.columns if c not in self.config.key] or self.config.key
                updates = ", ".join(f"{quote(c)} = VALUES({quote(c)})" for c in others)
                sql += f" ON DUPLICATE KEY UPDATE {updates}"
            await conn.exec_driver_sql(sql, rows)  # one multi-row INSERT per batch


def _qualified(quote: Any, table: str, schema: str | None) -> str:
    return f"{quote(schema)}.{quote(table)}" if schema else str(quote(table))


def _pg_upsert(quote: Any, target: str, columns: list[str], key: list[str]) -> str:
    listed = ", ".join(quote(c) for c in columns)
    conflict = ", ".join(quote(c) for c in key)
    others = [c for c in columns if c not in key]
    action = (
        "DO UPDATE SET " + ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in others)
        if others
        else "DO NOTHING"
    )
    return (
        f"INSERT INTO {target} ({listed}) SELECT {listed} FROM imas_batch "  # noqa: S608
        f"ON CONFLICT ({conflict}) {action}"
    )
