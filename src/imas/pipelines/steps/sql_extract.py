"""Rows of an SQL query, streamed in batches from a PostgreSQL or MySQL connector.

The query is a Jinja2 template (see `imas.pipelines.templating`): its values are bound
parameters, so `WHERE updated_at > '{{ last_run_date }}'` reads only what changed since the last
successful run, and no value is ever part of the SQL text. The query runs in a read-only
transaction; cancelling the task that reads the batches cancels it on the server.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import Field, field_validator
from sqlalchemy import text

from imas.pipelines.connectors.sql import SqlConnector
from imas.pipelines.steps.base import Extract, StepConfig, StepContext, StepFailed
from imas.pipelines.steps.common import connector_of, rows_to_frame, valid_template
from imas.pipelines.templating import TemplateFailed, readable, render_sql


class SqlExtractConfig(StepConfig):
    connector_id: uuid.UUID
    query: str = Field(min_length=1)
    batch_rows: int | None = Field(default=None, ge=1, le=1_000_000)

    _query = field_validator("query")(valid_template)


class SqlExtract(Extract):
    kind: ClassVar[str] = "sql_extract"
    connector_family: ClassVar[Literal["sql", "rest", "s3"] | None] = "sql"
    Config = SqlExtractConfig
    config: SqlExtractConfig

    def _render(self, ctx: StepContext) -> tuple[str, dict[str, Any]]:
        try:
            return render_sql(self.config.query, ctx.variables)
        except TemplateFailed as exc:
            raise StepFailed(f"query template: {exc}") from None

    async def batches(self, ctx: StepContext) -> AsyncIterator[pl.DataFrame]:
        connector = connector_of(ctx, SqlConnector, "sql_extract")
        sql, params = self._render(ctx)
        size = self.config.batch_rows or ctx.batch_rows
        ctx.log(
            "INFO",
            f"Extracting from {connector.kind}",
            {"connector_type": connector.kind, "query": readable(sql)},
        )
        ctx.metrics.setdefault("rows_extracted", 0)
        known: dict[str, pl.DataType] = {}
        try:
            async with connector.engine().connect() as conn:
                await connector.read_only(conn)
                bound = await connector.bind(conn, sql, params)
                streaming = await conn.execution_options(yield_per=size)
                result = await streaming.stream(text(sql), bound)
                names = list(result.keys())
                async for rows in result.partitions(size):
                    frame = rows_to_frame(names, rows, known)
                    ctx.metrics["rows_extracted"] += frame.height
                    yield frame
        except connector.errors as exc:
            raise StepFailed(f"{connector.kind}: {connector.reason(exc)}") from None

    async def columns(self, ctx: StepContext) -> list[str] | None:
        """The query's columns from `SELECT * FROM (<query>) AS q LIMIT 0`."""
        connector = connector_of(ctx, SqlConnector, "sql_extract")
        sql, params = self._render(ctx)
        # The user's own query (its values bound), wrapped to read no row.
        wrapped = f"SELECT * FROM (\n{sql.strip().rstrip(';')}\n) AS q LIMIT 0"  # noqa: S608
        try:
            async with connector.engine().connect() as conn:
                await connector.read_only(conn)
                bound = await connector.bind(conn, wrapped, params)
                result = await conn.execute(text(wrapped), bound)
                return list(result.keys())
        except connector.errors as exc:
            raise StepFailed(f"{connector.kind}: {connector.reason(exc)}") from None
