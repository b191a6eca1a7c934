"""Runs of actions (Run -> RunTask -> RunLog), the executors they call and the policies that
start them or make them wait for approval."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, OrgOwned, Timestamps, UUIDPk, utcnow


class RunStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"
    """Started something whose result comes later (a callback), or a step awaits confirmation."""
    RETRYING = "retrying"
    """An attempt failed; the next one is scheduled."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = frozenset(
    {
        RunStatus.PENDING_APPROVAL,
        RunStatus.QUEUED,
        RunStatus.RUNNING,
        RunStatus.WAITING,
        RunStatus.RETRYING,
    }
)


class TaskStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    WAITING = "waiting"
    UNKNOWN = "unknown"
    """Its worker stopped while the action ran: it may or may not have acted; never redone."""


class Trigger(StrEnum):
    MANUAL = "manual"
    AUTO = "auto"
    SCHEDULED = "scheduled"
    """Fired by a data pipeline's cron schedule."""
    EXTERNAL = "external"
    """Reported by a remediation IMAS did not start (a Logic App acting on its own): IMAS
    records its callbacks; retrying is the remote's job."""


class RemediationStatus(StrEnum):
    """An incident's `remediation_status` (seed 004)."""

    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    APPLIED_NOT_SOLVED = "applied_not_solved"
    FAILED = "failed"


class Executor(UUIDPk, OrgOwned, Timestamps, Base):
    """Where an action acts: a remote API's base URL and the credentials to call it."""

    __tablename__ = "automation_executors"
    __audit__ = "executor"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    base_url: Mapped[str] = mapped_column(String(2000), default="")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    credentials_encrypted: Mapped[str | None] = mapped_column(Text)
    """Fernet token of the credentials' JSON; never returned, logged or audited."""
    service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    """For `restart_service`: the service this executor restarts."""


class Policy(UUIDPk, OrgOwned, Timestamps, Base):
    """Which runs start by themselves (auto-remediation) and which wait for an admin."""

    __tablename__ = "automation_policies"
    __audit__ = "automation_policy"

    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(default=True)
    integration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    severities: Mapped[list[str]] = mapped_column(default=list)
    actions: Mapped[list[str]] = mapped_column(default=list)
    auto_remediate: Mapped[bool] = mapped_column(default=False)
    executor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("automation_executors.id", ondelete="SET NULL")
    )
    max_retries: Mapped[int | None]
    require_approval: Mapped[bool] = mapped_column(default=False)


class Run(UUIDPk, OrgOwned, Base):
    __tablename__ = "automation_runs"
    __table_args__ = (
        Index("ix_automation_runs_org_created", "organization_id", "created_at"),
        Index("ix_automation_runs_incident", "incident_id", "created_at"),
        Index("ix_automation_runs_pipeline", "pipeline_id", "created_at"),
        Index("uq_automation_runs_pipeline_fire", "pipeline_id", "scheduled_for", unique=True),
    )

    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL")
    )
    action: Mapped[str] = mapped_column(String(50))
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    executor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("automation_executors.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20), default=RunStatus.QUEUED, index=True)
    trigger: Mapped[str] = mapped_column(String(10), default=Trigger.MANUAL)
    dry_run: Mapped[bool] = mapped_column(default=False)
    resolve_incident: Mapped[bool] = mapped_column(default=False)
    """On success, resolve the incident (auto-remediation does)."""
    attempt: Mapped[int] = mapped_column(default=0)
    """The current (or last) attempt, from 1."""
    max_retries: Mapped[int] = mapped_column(default=1)
    """Attempts in all."""
    timeout_seconds: Mapped[int] = mapped_column(default=300)
    step: Mapped[int] = mapped_column(default=0)
    """Counts the times the run was handed to a worker: a job carries the step it was made
    for, so a stale or repeated job finds the run moved on and does nothing."""
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """What a waiting action saved to go on with, and what it was given to go on."""
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    callback_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    callbacks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Callbacks already applied ("<attempt>:<status>" -> the answer given): a repeat changes
    nothing and gets the same answer."""
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None]
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    pipeline_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("pipelines.id", ondelete="CASCADE")
    )
    """Set for a data pipeline's run (`imas.pipelines`)."""
    scheduled_for: Mapped[datetime | None]
    """The cron instant a scheduled run was fired for: one run per pipeline and instant."""
    progress: Mapped[float] = mapped_column(default=0.0)
    current_step: Mapped[str | None] = mapped_column(String(200))


class RunTask(UUIDPk, OrgOwned, Base):
    """One execution of the run's action: an attempt, or the part of a runbook run between
    two confirmations."""

    __tablename__ = "automation_run_tasks"
    __table_args__ = (UniqueConstraint("run_id", "step"),)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("automation_runs.id", ondelete="CASCADE"))
    step: Mapped[int]
    attempt: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.RUNNING)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class RunLog(UUIDPk, OrgOwned, Base):
    __tablename__ = "automation_run_logs"
    __table_args__ = (Index("ix_automation_run_logs_run_time", "run_id", "timestamp"),)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("automation_runs.id", ondelete="CASCADE"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("automation_run_tasks.id", ondelete="CASCADE")
    )
    seq: Mapped[int]
    """Order within the run (timestamps of one batch can be equal)."""
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    level: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    context: Mapped[dict[str, Any] | None]
