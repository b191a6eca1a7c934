"""Rows -> the API's models."""

from __future__ import annotations

from imas.automation.models import Executor, Policy, Run, RunLog, RunTask
from imas.automation.schemas import (
    ExecutorRead,
    IncidentRef,
    LogRead,
    PolicyRead,
    RunDetail,
    RunRead,
    TaskRead,
)
from imas.incidents.models import Incident

RUNS_PATH = "/api/v1/automation/runs/"


def run_url(run: Run) -> str:
    return f"{RUNS_PATH}{run.id}/"


def run(row: Run, incident: Incident | None = None) -> RunRead:
    return RunRead(
        id=row.id,
        url=run_url(row),
        incident=IncidentRef(id=incident.id, short_id=incident.short_id) if incident else None,
        action=row.action,
        parameters=row.parameters,
        executor_id=row.executor_id,
        status=row.status,
        trigger=row.trigger,
        dry_run=row.dry_run,
        resolve_incident=row.resolve_incident,
        attempt=row.attempt,
        max_retries=row.max_retries,
        timeout_seconds=row.timeout_seconds,
        waiting_for=row.state.get("waiting") if row.status == "waiting" else None,
        result=row.result,
        error=row.error,
        requested_by_id=row.requested_by_id,
        approved_by_id=row.approved_by_id,
        approved_at=row.approved_at,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def task(row: RunTask) -> TaskRead:
    return TaskRead.model_validate(row, from_attributes=True)


def run_detail(row: Run, incident: Incident | None, tasks: list[RunTask]) -> RunDetail:
    return RunDetail(**run(row, incident).model_dump(), tasks=[task(t) for t in tasks])


def log(row: RunLog) -> LogRead:
    return LogRead.model_validate(row, from_attributes=True)


def executor(row: Executor) -> ExecutorRead:
    return ExecutorRead(
        id=row.id,
        name=row.name,
        kind=row.kind,
        base_url=row.base_url,
        config=row.config,
        has_credentials=bool(row.credentials_encrypted),
        service=row.service_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def policy(row: Policy) -> PolicyRead:
    return PolicyRead(
        id=row.id,
        name=row.name,
        enabled=row.enabled,
        integration=row.integration_id,
        service=row.service_id,
        severities=row.severities,
        actions=row.actions,
        auto_remediate=row.auto_remediate,
        executor=row.executor_id,
        max_retries=row.max_retries,
        require_approval=row.require_approval,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
