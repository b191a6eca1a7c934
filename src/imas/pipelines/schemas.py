"""The pipelines API's request and response models (seed 003's shapes)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from imas.incidents.models import Severity
from imas.pipelines.models import PipelineStatus

RunState = Literal["pending", "running", "success", "failed", "cancelled"]
StepRole = Literal["extract", "transform", "load"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Connectors


class ConnectorCreate(Strict):
    name: str = Field(min_length=1, max_length=200, examples=["Production Database"])
    connector_type: str = Field(max_length=30, examples=["postgresql"])
    description: str = Field(default="", max_length=5000)
    config: dict[str, Any] = Field(default_factory=dict)
    credentials: dict[str, Any] = Field(
        default_factory=dict, description="Stored encrypted; never returned"
    )
    is_active: bool = True


class ConnectorUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    config: dict[str, Any] | None = None
    credentials: dict[str, Any] | None = Field(
        default=None, description="Replaces the stored credentials when given"
    )
    is_active: bool | None = None


class ConnectorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    connector_type: str
    description: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    config: dict[str, Any]
    has_credentials: bool


class ConnectionTest(BaseModel):
    success: bool
    message: str
    response_time_ms: int


class ConnectorSchema(BaseModel):
    tables: list[str]
    columns: dict[str, list[str]]
    data_types: dict[str, dict[str, dict[str, Any]]]


class ConnectorTypeInfo(BaseModel):
    connector_type: str
    family: str
    config: dict[str, Any] = Field(description="JSON schema of `config`")
    credentials: dict[str, Any] = Field(description="JSON schema of `credentials`")


# Pipelines


Channel = Literal["email", "slack", "webhook"]


class Notifications(Strict):
    on_success: list[Channel] = Field(default_factory=list, examples=[["email"]])
    on_failure: list[Channel] = Field(default_factory=list, examples=[["email", "slack"]])


class PipelineConfig(Strict):
    schedule: str | None = Field(default=None, examples=["0 2 * * *"], description="Cron")
    timezone: str = Field(default="UTC", examples=["Europe/Paris"])
    timeout: int = Field(default=3600, ge=1, le=7 * 24 * 3600, description="Seconds per attempt")
    retry_count: int = Field(default=0, ge=0, le=10, description="Attempts after the first")
    notifications: Notifications = Field(default_factory=Notifications)


class StepIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    step_type: str = Field(
        max_length=30,
        description="extract, transform or load (the type follows from the connector), or a "
        "step type by name (sql_extract, rest_extract, s3_extract, transform, sql_load, s3_load)",
    )
    order_index: int = Field(ge=0, le=10_000)
    config: dict[str, Any] = Field(default_factory=dict)


class StepRead(BaseModel):
    id: uuid.UUID
    name: str
    step_type: str
    kind: str
    order_index: int
    config: dict[str, Any]


class PipelineCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    status: PipelineStatus = PipelineStatus.DRAFT
    config: PipelineConfig = Field(default_factory=PipelineConfig)
    steps: list[StepIn] = Field(default_factory=list, max_length=50)
    severity: Severity = Field(
        default=Severity.SEV3_MEDIUM, description="Severity of the alert a failed run raises"
    )
    service: str | None = Field(
        default=None, max_length=200, description="Service (id or name) its alerts are about"
    )


class PipelineUpdate(Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    status: PipelineStatus | None = None
    config: PipelineConfig | None = None
    steps: list[StepIn] | None = Field(default=None, max_length=50, description="Replaces all")
    severity: Severity | None = None
    service: str | None = Field(default=None, max_length=200)


class RunRef(BaseModel):
    id: uuid.UUID
    status: RunState
    started_at: datetime | None
    completed_at: datetime | None


class PipelineRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    status: PipelineStatus
    created_at: datetime
    updated_at: datetime
    steps_count: int
    last_run: RunRef | None
    config: dict[str, Any]
    severity: Severity
    service_id: uuid.UUID | None
    next_run_at: datetime | None


class PipelineDetail(PipelineRead):
    steps: list[StepRead]


class ExecuteContext(BaseModel):
    model_config = ConfigDict(extra="allow")

    manual_trigger: bool = True
    parameters: dict[str, Any] = Field(default_factory=dict)


class ExecuteRequest(Strict):
    context: ExecuteContext = Field(default_factory=ExecuteContext)


class ExecuteAnswer(BaseModel):
    run_id: uuid.UUID
    status: RunState
    message: str = "Pipeline execution started"
    estimated_duration: int | None = Field(
        description="Seconds, the median of the last successful runs (null before any)"
    )


class StopRequest(Strict):
    run_id: uuid.UUID | None = Field(
        default=None, description="The run to stop (default: the pipeline's active run)"
    )
    reason: str = Field(default="", max_length=1000)


class StopAnswer(BaseModel):
    run_id: uuid.UUID
    status: RunState
    message: str


# Runs


class PipelineRef(BaseModel):
    id: uuid.UUID
    name: str


class RunMetrics(BaseModel):
    total_rows_processed: int = 0
    success_rate: float = Field(0.0, description="Steps that succeeded / steps")
    average_processing_time: float = Field(0.0, description="Seconds per 1,000 rows")


class PipelineRunRead(BaseModel):
    id: uuid.UUID
    pipeline: PipelineRef
    status: RunState
    started_at: datetime | None
    completed_at: datetime | None
    duration: int | None
    trigger_type: str
    triggered_by: str | None
    context: dict[str, Any]
    metrics: RunMetrics
    progress: float
    current_step: str | None
    attempt: int
    max_attempts: int
    error: str | None
    created_at: datetime


class TaskRunRead(BaseModel):
    id: uuid.UUID
    step_name: str
    step_type: str
    attempt: int
    status: str
    started_at: datetime | None
    completed_at: datetime | None
    metrics: dict[str, Any]
    error: str | None


class PipelineRunDetail(PipelineRunRead):
    task_runs: list[TaskRunRead]


class RunLogRead(BaseModel):
    timestamp: datetime
    level: str
    message: str
    task_id: uuid.UUID | None
    context: dict[str, Any]
