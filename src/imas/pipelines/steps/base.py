"""What a step type is: one class per file in `imas.pipelines.steps`, with a typed `Config`
(validated when the pipeline is saved, so a bad step is a 400 before anything runs).

A pipeline run streams: its extract step yields batches (polars DataFrames), each batch goes
through the transform steps in order and then into every load step, so memory holds a few
batches whatever the size of the data. A step reports a failure by raising `StepFailed` with a
message a person can act on; the run engine decides about retrying. Loads must be idempotent for
one run: a retried run (after a crash mid-load) writes the same rows again without duplicates
(upsert on a key, or object names fixed by run and batch).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

import polars as pl
from pydantic import BaseModel, ConfigDict

from imas.pipelines.connectors.base import Connector

Role = Literal["extract", "transform", "load"]
Level = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
DEFAULT_BATCH_ROWS = 10_000


class StepConfig(BaseModel):
    """Base of every step type's `config`: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class StepFailed(Exception):
    """The step could not do its work (the source refused the query, a column is missing)."""


@dataclass
class StepContext:
    """What a step is given when a run executes it."""

    run_id: uuid.UUID
    pipeline_id: uuid.UUID
    connector: Connector | None
    """The step's connector (its credentials decrypted), when its type uses one."""
    variables: dict[str, Any]
    """Template values: `last_run_date` (the high-watermark of the last successful run, ISO
    8601, or `1970-01-01T00:00:00+00:00` before any), `run_id`, `pipeline_id`, `started_at`, and
    the run's `parameters` (also each at the top level)."""
    log: Callable[[Level, str, dict[str, Any]], None]
    """Write a line to the run's log (never a credential; queries are fine, their bound values
    are not written)."""
    batch_rows: int = DEFAULT_BATCH_ROWS
    metrics: dict[str, float] = field(default_factory=dict)
    """The step's counters, shown in the run's `task_runs` (`rows_extracted`, `rows_loaded`...)."""


class Step:
    kind: ClassVar[str]
    """The step type (`sql_extract`, `transform`...)."""
    role: ClassVar[Role]
    connector_family: ClassVar[Literal["sql", "rest", "s3"] | None] = None
    """The family of connector its `config.connector_id` must name (None: no connector)."""
    Config: ClassVar[type[StepConfig]] = StepConfig

    def __init__(self, config: StepConfig) -> None:
        self.config = config

    @classmethod
    def create(cls, config: Mapping[str, Any]) -> Self:
        """The step from its stored config (pydantic's `ValidationError` if it does not fit)."""
        return cls(cls.Config.model_validate(config))


class Extract(Step):
    role: ClassVar[Role] = "extract"

    def batches(self, ctx: StepContext) -> AsyncIterator[pl.DataFrame]:
        """The source's rows, `ctx.batch_rows` at a time (streamed, never loaded whole)."""
        raise NotImplementedError

    async def columns(self, ctx: StepContext) -> list[str] | None:
        """The column names the batches will have, found without reading the data (a query
        that returns no row), or None when the source cannot tell beforehand."""
        return None


class Transform(Step):
    role: ClassVar[Role] = "transform"

    def output_columns(self, columns: list[str]) -> list[str]:
        """The columns after this step given those before; raises `StepFailed` naming an
        unknown column (checked before a run moves any row)."""
        raise NotImplementedError

    def apply(self, frame: pl.DataFrame) -> pl.DataFrame:
        raise NotImplementedError


class Load(Step):
    role: ClassVar[Role] = "load"

    async def open(self, ctx: StepContext) -> None:
        """Before the first batch (create the target table when asked...)."""

    async def write(self, ctx: StepContext, frame: pl.DataFrame, batch: int) -> int:
        """Write one batch (numbered from 0 in the run's order); the rows written."""
        raise NotImplementedError

    async def close(self, ctx: StepContext, *, succeeded: bool) -> None:
        """After the last batch, or after a failure (`succeeded` False)."""
