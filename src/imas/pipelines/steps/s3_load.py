"""Each batch written as one object, `{prefix}/{pipeline_id}/{run_id}/part-{batch:05d}.{ext}`
(under the connector's prefix). A retried run writes the same names again, and `open` first
removes the parts an earlier attempt of the run left, so no row is there twice."""

from __future__ import annotations

import io
import uuid
from typing import ClassVar, Literal

import polars as pl
from pydantic import field_validator

from imas.pipelines.connectors.base import ConnectorFailed
from imas.pipelines.connectors.s3 import S3Connector
from imas.pipelines.steps.base import Load, StepConfig, StepContext, StepFailed
from imas.pipelines.steps.common import connector_of

Format = Literal["parquet", "csv", "jsonl"]


class S3LoadConfig(StepConfig):
    connector_id: uuid.UUID
    prefix: str = ""
    format: Format = "parquet"

    @field_validator("prefix")
    @classmethod
    def _no_slashes_around(cls, value: str) -> str:
        return value.strip("/")


def serialize(frame: pl.DataFrame, fmt: Format) -> bytes:
    if fmt == "csv":
        return frame.write_csv().encode()
    if fmt == "jsonl":
        return frame.write_ndjson().encode()
    out = io.BytesIO()
    frame.write_parquet(out)
    return out.getvalue()


class S3Load(Load):
    kind: ClassVar[str] = "s3_load"
    connector_family: ClassVar[Literal["sql", "rest", "s3"] | None] = "s3"
    Config = S3LoadConfig
    config: S3LoadConfig

    def run_prefix(self, connector: S3Connector, ctx: StepContext) -> str:
        """Where this run's objects go (absolute key prefix, no trailing slash)."""
        return connector.key(self.config.prefix, str(ctx.pipeline_id), str(ctx.run_id))

    async def open(self, ctx: StepContext) -> None:
        connector = connector_of(ctx, S3Connector, "s3_load")
        prefix = self.run_prefix(connector, ctx)
        try:
            removed = await connector.delete_prefix(prefix + "/")
        except ConnectorFailed as exc:
            raise StepFailed(f"s3: {exc}") from None
        if removed:
            ctx.log("INFO", "Removed the objects of an earlier attempt", {"objects": removed})
        ctx.metrics.setdefault("rows_loaded", 0)
        ctx.metrics.setdefault("objects_written", 0)

    async def write(self, ctx: StepContext, frame: pl.DataFrame, batch: int) -> int:
        connector = connector_of(ctx, S3Connector, "s3_load")
        ext = self.config.format
        key = f"{self.run_prefix(connector, ctx)}/part-{batch:05d}.{ext}"
        try:
            data = serialize(frame, self.config.format)
        except pl.exceptions.PolarsError as exc:
            raise StepFailed(f"s3: the batch cannot be written as {ext}: {exc}") from None
        try:
            await connector.put(key, data)
        except ConnectorFailed as exc:
            raise StepFailed(f"s3: {exc}") from None
        ctx.metrics["rows_loaded"] = ctx.metrics.get("rows_loaded", 0) + frame.height
        ctx.metrics["objects_written"] = ctx.metrics.get("objects_written", 0) + 1
        return frame.height
