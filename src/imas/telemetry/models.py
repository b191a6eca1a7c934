"""Tables of this domain: metric series and their points, per-org telemetry settings, alert rules
on metrics and the state of each rule per series.

Points are the big table (10M+ rows): they are kept narrow - an integer series id, the time as
epoch milliseconds (so bucketing by `step` is integer arithmetic on every backend) and a float -
with (series_id, ts_ms) as primary key: that is the range index, and a point written twice for
the same instant overwrites the first (a retried batch stores nothing twice). Points carry no
organization: they are only ever reached through series selected in the session's organization
(`imas.telemetry.repository`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, JSONType, OrgOwned, Timestamps, UUIDPk, utcnow

SeriesId = BigInteger().with_variant(Integer(), "sqlite")
"""An autoincrementing integer on both backends (SQLite only autoincrements INTEGER keys)."""


class Aggregation(StrEnum):
    AVG = "avg"
    MIN = "min"
    MAX = "max"
    SUM = "sum"
    COUNT = "count"
    P95 = "p95"
    RATE = "rate"


class Comparison(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    EQ = "=="
    NE = "!="


class RuleState(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"


class Series(OrgOwned, Base):
    """One metric name with one set of tags."""

    __tablename__ = "telemetry_series"
    __table_args__ = (UniqueConstraint("organization_id", "series_hash"),)

    id: Mapped[int] = mapped_column(SeriesId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    metric_type: Mapped[str] = mapped_column(String(100), index=True)
    unit: Mapped[str] = mapped_column(String(50), default="")
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    series_hash: Mapped[str] = mapped_column(String(64))
    """sha256 of the name and the sorted tags: what makes two points the same series."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Point(Base):
    __tablename__ = "telemetry_points"

    series_id: Mapped[int] = mapped_column(
        SeriesId, ForeignKey("telemetry_series.id", ondelete="CASCADE"), primary_key=True
    )
    ts_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class TelemetrySettings(UUIDPk, OrgOwned, Timestamps, Base):
    """One row per organization, made on its first metric (or first PUT)."""

    __tablename__ = "telemetry_settings"
    __table_args__ = (UniqueConstraint("organization_id"),)

    retention_days: Mapped[int]
    retention_version: Mapped[int] = mapped_column(default=0)
    """Bumped when the retention job is (re)armed: an older job does nothing."""
    last_retention_at: Mapped[datetime | None]
    last_retention_deleted: Mapped[int] = mapped_column(default=0)


class Rule(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "telemetry_rules"
    __audit__ = "telemetry_rule"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    metric_name: Mapped[str] = mapped_column(String(200), index=True)
    matchers: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    """`[{"tag", "op" (= != =~ !~), "value"}]`, all of which a series' tags must satisfy."""
    aggregation: Mapped[str] = mapped_column(String(10))
    window_seconds: Mapped[int]
    comparison: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    for_seconds: Mapped[int] = mapped_column(default=0)
    severity: Mapped[str] = mapped_column(String(20))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enabled: Mapped[bool] = mapped_column(default=True)
    interval_seconds: Mapped[int] = mapped_column(default=60)
    schedule_version: Mapped[int] = mapped_column(default=0)
    """Bumped on every change: an evaluation job of an older version does nothing."""
    next_evaluation_at: Mapped[datetime | None]
    last_evaluated_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class RuleSeriesState(UUIDPk, OrgOwned, Base):
    """Where one series of a rule stands: pending since when, firing since when."""

    __tablename__ = "telemetry_rule_states"
    __table_args__ = (UniqueConstraint("rule_id", "labels_hash"),)

    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("telemetry_rules.id", ondelete="CASCADE"))
    labels_hash: Mapped[str] = mapped_column(String(64))
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(20), default=RuleState.INACTIVE)
    active_since: Mapped[datetime | None]
    fired_at: Mapped[datetime | None]
    last_value: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
