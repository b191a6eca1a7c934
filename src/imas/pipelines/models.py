"""Connectors (where data lives), pipelines and their ordered steps. A pipeline's runs are
`automation_runs` rows with `pipeline_id` set (one run engine: Run -> RunTask -> RunLog)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, OrgOwned, Timestamps, UUIDPk


class PipelineStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    DEPRECATED = "deprecated"


class Connector(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "pipeline_connectors"
    __audit__ = "connector"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    connector_type: Mapped[str] = mapped_column(String(30), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    """Fernet token of the credentials' JSON; never returned, logged or audited."""
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class Pipeline(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "pipelines"
    __audit__ = "pipeline"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        Index("ix_pipelines_org_created", "organization_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=PipelineStatus.DRAFT, index=True)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """`schedule` (cron), `timezone`, `timeout` (s), `retry_count`, `notifications`."""
    severity: Mapped[str] = mapped_column(String(20), default="SEV3_MEDIUM")
    """The severity of the alert a failed run raises."""
    service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    watermark: Mapped[datetime | None]
    """When the last successful run started: `{{ last_run_date }}` of the next run."""
    schedule_version: Mapped[int] = mapped_column(default=0)
    """Bumped whenever the schedule (or the status) changes: a fire job made for an older
    version does nothing, so there is one pending fire per pipeline at most."""
    next_fire_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class PipelineStep(UUIDPk, OrgOwned, Base):
    __tablename__ = "pipeline_steps"
    __table_args__ = (UniqueConstraint("pipeline_id", "order_index"),)

    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    step_type: Mapped[str] = mapped_column(String(20))
    """The role given (`extract`, `transform`, `load`)."""
    kind: Mapped[str] = mapped_column(String(30))
    """The step type that executes it (`sql_extract`...), from the role and the connector."""
    order_index: Mapped[int]
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    connector_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pipeline_connectors.id", ondelete="RESTRICT"), index=True
    )
