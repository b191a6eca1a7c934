"""Request and response models of the telemetry API (seed 002's Metric Model and more)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from imas.telemetry.models import Aggregation, Comparison
from imas.types import NotNull, UtcDateTime

NAME_PATTERN = r"^[a-zA-Z_:][a-zA-Z0-9_:.\-]*$"
TagValue = Annotated[str, Field(max_length=500)]


class MetricIn(BaseModel):
    """One point, seed 002's Metric Model (`metric_type` optional: the name's first word)."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    value: float = Field(strict=True, allow_inf_nan=False)
    unit: str = Field(default="", max_length=50)
    timestamp: UtcDateTime | None = Field(default=None, description="Now when left out")
    tags: dict[Annotated[str, Field(min_length=1, max_length=100)], TagValue] = Field(
        default_factory=dict, max_length=50
    )
    metric_type: str | None = Field(default=None, max_length=100)


class MetricBatch(BaseModel):
    metrics: list[Any] = Field(description="Items of the Metric Model")


class SubmitResult(BaseModel):
    message: str = "Metrics submitted successfully"
    accepted_count: int
    skipped_count: int = Field(
        default=0, description="Exposition samples left out because their value is NaN"
    )
    series_count: int


class MetricRead(BaseModel):
    name: str
    value: float
    unit: str
    timestamp: datetime
    tags: dict[str, Any]
    metric_type: str


class MetricsPage(BaseModel):
    """Seed 002's answer; with `step`, each item is one bucket of one series (its start as
    `timestamp`, the aggregate as `value`)."""

    metrics: list[MetricRead]
    total_count: int
    start_time: datetime
    end_time: datetime
    step: int | None = None
    aggregation: Aggregation | None = None
    series_count: int
    truncated: bool = Field(
        default=False, description="More rows than `limit` matched: narrow the query"
    )


class Matcher(BaseModel):
    tag: str = Field(min_length=1, max_length=100)
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str = Field(max_length=500)

    @field_validator("value")
    @classmethod
    def _regex_compiles(cls, value: str, info: Any) -> str:
        if info.data.get("op") in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value


DURATION = re.compile(r"^(\d+)(ms|s|m|h|d)?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def seconds_of(value: object) -> int:
    """`120`, `"120"`, `"2m"`, `"1h"` -> seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration is seconds or a text such as '2m'")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        found = DURATION.match(value.strip())
        if found and found.group(2) != "ms":
            return int(found.group(1)) * _UNIT_SECONDS[found.group(2)]
    raise ValueError("a duration is seconds or a text such as '30s', '2m', '1h'")


MAX_DURATION = 7 * 24 * 3600
Duration = Annotated[int, Field(ge=0, le=MAX_DURATION, description="Seconds, or '2m', at most 7d")]
Interval = Annotated[int, Field(ge=10, le=24 * 3600, description="Seconds, or '1m': 10s to 1d")]
SEVERITY_PATTERN = r"^(critical|error|warning|info|SEV1_CRITICAL|SEV2_HIGH|SEV3_MEDIUM|SEV4_LOW)$"


class RuleFields(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    description: str = Field(default="", max_length=5000)
    metric_name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    matchers: list[Matcher] = Field(default_factory=list, max_length=20)
    aggregation: Aggregation = Aggregation.AVG
    window: Duration = Field(default=300, description="Seconds or '5m': what is aggregated")
    comparison: Comparison = Comparison.GT
    threshold: float = Field(allow_inf_nan=False)
    for_: Duration = Field(
        default=0, alias="for", description="Seconds or '2m' the condition must hold to fire"
    )
    severity: str = Field(default="warning", pattern=SEVERITY_PATTERN)
    labels: dict[str, TagValue] = Field(default_factory=dict, max_length=50)
    annotations: dict[str, Annotated[str, Field(max_length=5000)]] = Field(
        default_factory=dict, max_length=50
    )
    enabled: bool = True
    interval: Interval = Field(default=60, description="Seconds or '1m' between evaluations")

    @field_validator("window", "for_", "interval", mode="before")
    @classmethod
    def _duration(cls, value: object) -> int:
        return seconds_of(value)


class RuleCreate(RuleFields):
    name: str = Field(min_length=1, max_length=200)


class RuleUpdate(BaseModel):
    """Any of the rule's fields; those left out keep their value (none may be null)."""

    model_config = ConfigDict(populate_by_name=True)

    name: Annotated[str | None, NotNull] = Field(default=None, min_length=1, max_length=200)
    description: Annotated[str | None, NotNull] = Field(default=None, max_length=5000)
    metric_name: Annotated[str | None, NotNull] = Field(
        default=None, min_length=1, max_length=200, pattern=NAME_PATTERN
    )
    matchers: Annotated[list[Matcher] | None, NotNull] = Field(default=None, max_length=20)
    aggregation: Annotated[Aggregation | None, NotNull] = None
    window: Annotated[Duration | None, NotNull] = None
    comparison: Annotated[Comparison | None, NotNull] = None
    threshold: Annotated[float | None, NotNull] = Field(default=None, allow_inf_nan=False)
    for_: Annotated[Duration | None, NotNull] = Field(default=None, alias="for")
    severity: Annotated[str | None, NotNull] = Field(default=None, pattern=SEVERITY_PATTERN)
    labels: Annotated[dict[str, TagValue] | None, NotNull] = Field(default=None, max_length=50)
    annotations: Annotated[dict[str, Annotated[str, Field(max_length=5000)]] | None, NotNull] = (
        Field(default=None, max_length=50)
    )
    enabled: Annotated[bool | None, NotNull] = None
    interval: Annotated[Interval | None, NotNull] = None

    @field_validator("window", "for_", "interval", mode="before")
    @classmethod
    def _duration(cls, value: object) -> int | None:
        return None if value is None else seconds_of(value)


class SeriesStateRead(BaseModel):
    labels: dict[str, Any]
    state: str
    active_since: datetime | None
    fired_at: datetime | None
    value: float | None


class RuleRead(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: uuid.UUID
    name: str
    description: str
    metric_name: str
    matchers: list[Matcher]
    aggregation: Aggregation
    window: int
    comparison: Comparison
    threshold: float
    for_: int = Field(alias="for")
    severity: str
    labels: dict[str, Any]
    annotations: dict[str, Any]
    enabled: bool
    interval: int
    state: str = Field(description="The rule's worst series state: inactive, pending or firing")
    series: list[SeriesStateRead]
    next_evaluation_at: datetime | None
    last_evaluated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SeriesResult(BaseModel):
    labels: dict[str, Any]
    value: float | None
    condition_met: bool
    state: str
    previous_state: str
    active_since: datetime | None


class RuleTestResult(BaseModel):
    evaluated_at: datetime
    condition: str
    state: str
    series: list[SeriesResult]


class SettingsRead(BaseModel):
    retention_days: int
    last_retention_at: datetime | None = None
    last_retention_deleted: int = 0


class SettingsUpdate(BaseModel):
    retention_days: int = Field(ge=1, le=3650)
