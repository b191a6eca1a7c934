from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import Index, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, OrgOwned, UUIDPk, utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DEAD = "dead"


class JobPriority(IntEnum):
    """Which due jobs a worker takes first (lowest first; oldest due first within one): work a
    person is waiting for (a page) is not queued behind bulk work that happened to be due
    earlier (webhook deliveries, analyses of a burst of incidents)."""

    URGENT = 0  # paging: escalation steps and pages
    NORMAL = 1  # everything else


class Job(UUIDPk, OrgOwned, Base):
    """One unit of work. A worker holds it under a lease; an expired lease gives it back."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_due", "status", "priority", "run_at"),
        Index("ix_jobs_lease", "status", "lease_expires_at"),
    )

    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.QUEUED)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    priority: Mapped[int] = mapped_column(
        SmallInteger, default=JobPriority.NORMAL, server_default=str(int(JobPriority.NORMAL))
    )
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=10)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
