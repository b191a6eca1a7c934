"""Runs of `ansible_playbook` -> the `/api/v1/ansible/` models."""

from __future__ import annotations

from typing import Any

from imas.automation import presenters as runs
from imas.automation.ansible.schemas import ExecutionDetail, ExecutionRead, HostResult, TaskResult
from imas.automation.ansible.service import state_of
from imas.automation.models import Run
from imas.automation.schemas import IncidentRef
from imas.incidents.models import Incident

EXECUTIONS_PATH = "/api/v1/ansible/executions/"
COUNTS = ("tasks_total", "tasks_successful", "tasks_failed", "tasks_skipped", "tasks_ignored")


def execution_url(run: Run) -> str:
    return f"{EXECUTIONS_PATH}{run.id}/"


def websocket_url(run: Run) -> str:
    return f"/ws/runs/{run.id}/"


def _count(result: dict[str, Any], name: str) -> int:
    value = result.get(name, 0)
    return value if isinstance(value, int) else 0


def execution(row: Run, result: dict[str, Any], incident: Incident | None = None) -> ExecutionRead:
    duration = (
        round((row.finished_at - row.started_at).total_seconds(), 3)
        if row.finished_at and row.started_at
        else None
    )
    return ExecutionRead(
        id=row.id,
        playbook=str(row.parameters.get("playbook", "")),
        status=state_of(row),
        run_status=row.status,
        duration=duration,
        executed_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        hosts=list(row.parameters.get("hosts") or []),
        check=bool(row.parameters.get("check", False)),
        tasks_total=_count(result, "tasks_total"),
        tasks_successful=_count(result, "tasks_successful"),
        tasks_failed=_count(result, "tasks_failed"),
        incident=IncidentRef(id=incident.id, short_id=incident.short_id) if incident else None,
        requested_by_id=row.requested_by_id,
        url=execution_url(row),
    )


def detail(row: Run, result: dict[str, Any], incident: Incident | None = None) -> ExecutionDetail:
    hosts = result.get("host_results") if isinstance(result.get("host_results"), dict) else {}
    tasks = result.get("task_results") if isinstance(result.get("task_results"), list) else []
    return ExecutionDetail(
        **execution(row, result, incident).model_dump(),
        variables=sorted(row.parameters.get("variables") or {}),
        tags=list(row.parameters.get("tags") or []),
        skip_tags=list(row.parameters.get("skip_tags") or []),
        tasks_skipped=_count(result, "tasks_skipped"),
        tasks_ignored=_count(result, "tasks_ignored"),
        host_results={k: HostResult.model_validate(v) for k, v in (hosts or {}).items()},
        task_results=[TaskResult.model_validate(t) for t in tasks or []],
        error=row.error,
        run_url=runs.run_url(row),
        logs_url=execution_url(row) + "logs/",
        websocket_url=websocket_url(row),
    )
