"""The automation API's request and response models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from imas.automation.models import RemediationStatus, RunStatus, TaskStatus, Trigger
from imas.incidents.models import Severity

ExecutorKind = Literal["http", "service", "airflow", "databricks", "azure", "logic_app"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RemediateRequest(Strict):
    action: str = Field(max_length=50, examples=["restart_service"])
    parameters: dict[str, Any] = Field(default_factory=dict)
    executor: str | None = Field(
        default=None, max_length=100, description="Name of the executor to act through"
    )
    dry_run: bool = Field(default=False, description="Show what would be done; do nothing")
    timeout_seconds: int | None = Field(default=None, ge=1, le=3600)
    max_retries: int | None = Field(
        default=None, ge=1, le=10, description="Attempts in all (default: the action's)"
    )
    resolve_incident: bool = Field(
        default=False, description="Resolve the incident when the action succeeds"
    )


class RunRequest(RemediateRequest):
    incident: str | None = Field(
        default=None, max_length=64, description="Incident id or short id the run acts on"
    )


class RemediationResult(BaseModel):
    success: bool
    action: str
    execution_time: str = Field(description="ISO 8601 duration (PT45S)")
    details: dict[str, Any]
    logs: list[str]


class RemediationExecuted(BaseModel):
    """The seed's answer, when the run ended within the wait."""

    message: str = "Remediation executed"
    result: RemediationResult
    run_id: uuid.UUID
    run_url: str


class RemediationAccepted(BaseModel):
    """The run goes on (or awaits approval): follow it at `run_url`."""

    message: str
    run_id: uuid.UUID
    status: RunStatus
    run_url: str


class IncidentRef(BaseModel):
    id: uuid.UUID
    short_id: str


class TaskRead(BaseModel):
    id: uuid.UUID
    step: int
    attempt: int
    name: str
    status: TaskStatus
    details: dict[str, Any]
    error: str | None
    started_at: datetime
    finished_at: datetime | None


class RunRead(BaseModel):
    id: uuid.UUID
    url: str
    incident: IncidentRef | None
    action: str
    parameters: dict[str, Any]
    executor_id: uuid.UUID | None
    status: RunStatus
    trigger: Trigger
    dry_run: bool
    resolve_incident: bool
    attempt: int
    max_retries: int
    timeout_seconds: int
    waiting_for: str | None = Field(description="`callback` or `confirmation` while waiting")
    result: dict[str, Any]
    error: str | None
    requested_by_id: uuid.UUID | None
    approved_by_id: uuid.UUID | None
    approved_at: datetime | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class RunDetail(RunRead):
    tasks: list[TaskRead]


class LogRead(BaseModel):
    seq: int
    timestamp: datetime
    level: str
    message: str
    task_id: uuid.UUID | None


class LogPage(BaseModel):
    count: int
    limit: int
    offset: int
    results: list[LogRead]


class ActionInfo(BaseModel):
    kind: str
    description: str
    executor_kinds: list[str]
    executor_required: bool
    max_retries: int
    admin_only: bool
    parameters: dict[str, Any] = Field(description="JSON schema of the action's parameters")


class ExecutorWrite(Strict):
    name: str = Field(min_length=1, max_length=100)
    kind: ExecutorKind
    base_url: str = Field(default="", max_length=2000)
    config: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] | None = Field(
        default=None, description="Write-only: stored encrypted, never returned"
    )
    service: uuid.UUID | None = Field(default=None, description="For restart_service")


class ExecutorUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    base_url: str | None = Field(default=None, max_length=2000)
    config: dict[str, Any] | None = None
    credentials: dict[str, Any] | None = None
    service: uuid.UUID | None = None


class ExecutorRead(BaseModel):
    id: uuid.UUID
    name: str
    kind: str
    base_url: str
    config: dict[str, Any]
    has_credentials: bool
    service: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class PolicyWrite(Strict):
    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True
    integration: uuid.UUID | None = None
    service: uuid.UUID | None = None
    severities: list[Severity] = Field(default_factory=list, description="Empty: every one")
    actions: list[str] = Field(default_factory=list, description="Empty: every action")
    auto_remediate: bool = Field(
        default=False,
        description="Start the action an alert's classification names, for remediable alerts "
        "of this integration or service",
    )
    executor: uuid.UUID | None = Field(default=None, description="What auto-remediation uses")
    max_retries: int | None = Field(default=None, ge=1, le=10)
    require_approval: bool = Field(
        default=False, description="Runs this policy matches wait for an admin's approval"
    )


class PolicyRead(BaseModel):
    id: uuid.UUID
    name: str
    enabled: bool
    integration: uuid.UUID | None
    service: uuid.UUID | None
    severities: list[str]
    actions: list[str]
    auto_remediate: bool
    executor: uuid.UUID | None
    max_retries: int | None
    require_approval: bool
    created_at: datetime
    updated_at: datetime


CallbackStatus = Literal["succeeded", "failed", "in_progress", "timeout"]


class CallbackBody(BaseModel):
    """Seed 004's Auto-Remediation Callback (what a Logic App posts when its rerun ends)."""

    model_config = ConfigDict(extra="allow")

    ticket_id: str = Field(max_length=64, description="The incident's short id (or id)")
    status: CallbackStatus
    attempt_number: int = Field(description="Which attempt this reports, from 1")
    original_run_id: str | None = Field(default=None, max_length=200)
    remediation_run_id: str | None = Field(default=None, max_length=200)
    pipeline_name: str | None = Field(default=None, max_length=200)
    error_type: str | None = Field(default=None, max_length=200)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    run_id: uuid.UUID | None = Field(
        default=None, description="The IMAS run this reports on (sent to the Logic App)"
    )


class CallbackAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")

    status: Literal["ticket_closed", "retrying", "escalated", "in_progress"]
    ticket_id: str
    remediation_status: RemediationStatus | None = None
