"""`/api/v1/ansible/` request and response models (seed 002's shapes, plus what IMAS adds)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from imas.api.pagination import Page
from imas.automation.models import RunStatus
from imas.automation.schemas import IncidentRef


class ExecuteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hosts: list[str] = Field(
        min_length=1,
        max_length=100,
        description="Inventory hosts to run on (with IMAS_ANSIBLE_INVENTORY: also its groups "
        "and patterns; without: plain host names)",
        examples=[["web-01", "web-02"]],
    )
    variables: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra variables, passed as data: never templated; `ansible_*` refused",
        examples=[{"app_version": "1.2.3", "environment": "production"}],
    )
    check: bool = Field(default=False, description="Check mode: report changes, make none")
    tags: list[str] = Field(default_factory=list, max_length=50)
    skip_tags: list[str] = Field(default_factory=list, max_length=50)
    timeout_seconds: int = Field(default=600, ge=1, le=3600)
    incident: str | None = Field(
        default=None, max_length=64, description="Incident id or short id it acts on"
    )


class ExecuteAccepted(BaseModel):
    execution_id: uuid.UUID
    status: str = Field(description="`running` (or `pending` while it awaits an approval)")
    message: str
    url: str
    logs_url: str
    websocket_url: str = Field(description="Live status and log lines: `/ws/runs/{id}/`")


class ExecutionRead(BaseModel):
    id: uuid.UUID
    playbook: str
    status: str = Field(description="pending, running, success, failed, cancelled")
    run_status: RunStatus
    duration: float | None = Field(description="Seconds, once finished")
    executed_at: datetime = Field(description="When it was requested")
    started_at: datetime | None
    finished_at: datetime | None
    hosts: list[str]
    check: bool
    tasks_total: int
    tasks_successful: int
    tasks_failed: int
    incident: IncidentRef | None
    requested_by_id: uuid.UUID | None
    url: str


class HostResult(BaseModel):
    status: str = Field(description="ok, failed or unreachable")
    ok: int
    changed: int
    failed: int
    unreachable: int
    skipped: int
    ignored: int
    tasks: list[dict[str, Any]] = Field(description="`{task, status, message}` in order")


class TaskResult(BaseModel):
    name: str
    action: str
    hosts: dict[str, dict[str, Any]] = Field(description="host -> `{status, message}`")


class ExecutionDetail(ExecutionRead):
    variables: list[str] = Field(description="The names of the variables given")
    tags: list[str]
    skip_tags: list[str]
    tasks_skipped: int
    tasks_ignored: int
    host_results: dict[str, HostResult]
    task_results: list[TaskResult]
    error: str | None
    run_url: str
    logs_url: str
    websocket_url: str


class ExecutionPage(Page[ExecutionRead]):
    executions: list[ExecutionRead] = Field(description="Seed 002's name for `results`")


class PlaybookRead(BaseModel):
    name: str
    size: int
    modified_at: datetime
