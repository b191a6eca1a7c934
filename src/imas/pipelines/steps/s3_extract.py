"""Rows of CSV, Parquet or JSON-lines objects in S3, one object after the other in key order.

Each object is downloaded to a temporary file and read by polars in batches, so memory holds a
batch, not an object. Keys are relative to the connector's prefix.
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar, Literal

import polars as pl
from pydantic import Field, model_validator

from imas.pipelines.connectors.base import ConnectorFailed
from imas.pipelines.connectors.s3 import S3Connector, format_of
from imas.pipelines.steps.base import Extract, StepConfig, StepContext, StepFailed
from imas.pipelines.steps.common import connector_of

Format = Literal["csv", "parquet", "jsonl"]
INFER_ROWS = 10_000


class S3ExtractConfig(StepConfig):
    connector_id: uuid.UUID
    key: str | None = None
    """One object."""
    prefix: str | None = None
    """Every object under it (those whose extension names a format, unless `format` is given)."""
    format: Format | None = None
    """Read from each key's extension (.csv, .parquet, .jsonl, .ndjson) when absent."""
    batch_rows: int | None = Field(default=None, ge=1, le=1_000_000)

    @model_validator(mode="after")
    def _key_or_prefix(self) -> S3ExtractConfig:
        if (self.key is None) == (self.prefix is None):
            raise ValueError("give either key or prefix")
        if self.key is not None and self.format is None and format_of(self.key) is None:
            raise ValueError("give format: the key's extension names none")
        return self


def _scan(path: Path, fmt: Format) -> pl.LazyFrame:
    if fmt == "csv":
        return pl.scan_csv(path, infer_schema_length=INFER_ROWS)
    if fmt == "parquet":
        return pl.scan_parquet(path)
    return pl.scan_ndjson(path, infer_schema_length=INFER_ROWS)


class S3Extract(Extract):
    kind: ClassVar[str] = "s3_extract"
    connector_family: ClassVar[Literal["sql", "rest", "s3"] | None] = "s3"
    Config = S3ExtractConfig
    config: S3ExtractConfig

    async def _keys(self, connector: S3Connector, ctx: StepContext) -> list[tuple[str, Format]]:
        if self.config.key is not None:
            fmt = self.config.format or format_of(self.config.key)
            return [(connector.key(self.config.key), fmt)]  # type: ignore[list-item]
        found: list[tuple[str, Format]] = []
        for key in await connector.list_keys(self.config.prefix or ""):
            fmt = self.config.format or format_of(key)
            if fmt is None:
                ctx.log("WARNING", "Skipping an object of no known format", {"key": key})
            else:
                found.append((key, fmt))  # type: ignore[arg-type]
        return found

    async def batches(self, ctx: StepContext) -> AsyncIterator[pl.DataFrame]:
        connector = connector_of(ctx, S3Connector, "s3_extract")
        size = self.config.batch_rows or ctx.batch_rows
        ctx.metrics.setdefault("rows_extracted", 0)
        try:
            keys = await self._keys(connector, ctx)
        except ConnectorFailed as exc:
            raise StepFailed(f"s3: {exc}") from None
        ctx.log("INFO", "Extracting from s3", {"connector_type": "s3", "objects": len(keys)})
        for key, fmt in keys:
            with tempfile.TemporaryDirectory(prefix="imas-s3-") as folder:
                path = Path(folder) / "object"
                try:
                    await connector.download(key, path)
                except ConnectorFailed as exc:
                    raise StepFailed(f"s3: {exc}") from None
                reader = iter(_scan(path, fmt).collect_batches(chunk_size=size))
                while True:
                    try:
                        frame = await asyncio.to_thread(next, reader, None)
                    except pl.exceptions.PolarsError as exc:
                        raise StepFailed(f"s3: {key} cannot be read as {fmt}: {exc}") from None
                    if frame is None:
                        break
                    ctx.metrics["rows_extracted"] += frame.height
                    yield frame
