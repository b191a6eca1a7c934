"""Rows -> the API's shapes (seed 003)."""

from __future__ import annotations

from typing import Any

from imas.automation.models import Run, RunLog, RunTask
from imas.orgs.models import User
from imas.pipelines.connectors.registry import find as connector_type
from imas.pipelines.models import Connector, Pipeline, PipelineStep
from imas.pipelines.schemas import (
    ConnectorRead,
    ConnectorTypeInfo,
    PipelineDetail,
    PipelineRead,
    PipelineRef,
    PipelineRunDetail,
    PipelineRunRead,
    RunLogRead,
    RunMetrics,
    RunRef,
    StepRead,
    TaskRunRead,
)
from imas.pipelines.service.progress import state_of


def connector(row: Connector) -> ConnectorRead:
    return ConnectorRead(
        id=row.id,
        name=row.name,
        connector_type=row.connector_type,
        description=row.description,
        is_active=row.is_active,
        created_at=row.created_at,
        updated_at=row.updated_at,
        config=dict(row.config),
        has_credentials=bool(row.credentials_encrypted),
    )


def connector_type_info(kind: str) -> ConnectorTypeInfo:
    cls = connector_type(kind)
    assert cls is not None
    return ConnectorTypeInfo(
        connector_type=kind,
        family=cls.family,
        config=cls.Config.model_json_schema(),
        credentials=cls.Credentials.model_json_schema(),
    )


def run_ref(run: Run | None) -> RunRef | None:
    if run is None:
        return None
    return RunRef(
        id=run.id, status=state_of(run), started_at=run.started_at, completed_at=run.finished_at
    )


def pipeline(row: Pipeline, steps_count: int, last_run: Run | None) -> PipelineRead:
    return PipelineRead(
        id=row.id,
        name=row.name,
        description=row.description,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
        steps_count=steps_count,
        last_run=run_ref(last_run),
        config=dict(row.config),
        severity=row.severity,
        service_id=row.service_id,
        next_run_at=row.next_fire_at,
    )


def step(row: PipelineStep) -> StepRead:
    return StepRead(
        id=row.id,
        name=row.name,
        step_type=row.step_type,
        kind=row.kind,
        order_index=row.order_index,
        config=dict(row.config),
    )


def pipeline_detail(
    row: Pipeline, steps: list[PipelineStep], last_run: Run | None
) -> PipelineDetail:
    return PipelineDetail(
        **pipeline(row, len(steps), last_run).model_dump(), steps=[step(s) for s in steps]
    )


def _duration(run: Run) -> int | None:
    if run.started_at is None or run.finished_at is None:
        return None
    return round((run.finished_at - run.started_at).total_seconds())


def run(row: Run, owner: Pipeline | None, requester: User | None = None) -> PipelineRunRead:
    result: dict[str, Any] = row.result or {}
    context = row.parameters.get("context")
    return PipelineRunRead(
        id=row.id,
        pipeline=PipelineRef(id=row.pipeline_id, name=owner.name if owner else ""),
        status=state_of(row),
        started_at=row.started_at,
        completed_at=row.finished_at,
        duration=_duration(row),
        trigger_type=row.trigger,
        triggered_by=requester.username if requester else None,
        context=context if isinstance(context, dict) else {},
        metrics=RunMetrics(
            total_rows_processed=int(result.get("total_rows_processed", 0)),
            success_rate=float(result.get("success_rate", 0.0)),
            average_processing_time=float(result.get("average_processing_time", 0.0)),
        ),
        progress=row.progress,
        current_step=row.current_step,
        attempt=row.attempt,
        max_attempts=row.max_retries,
        error=row.error,
        created_at=row.created_at,
    )


def task(row: RunTask) -> TaskRunRead:
    details = row.details or {}
    return TaskRunRead(
        id=row.id,
        step_name=row.name,
        step_type=str(details.get("step_type", "")),
        attempt=row.attempt,
        status="success" if row.status == "succeeded" else row.status,
        started_at=row.started_at,
        completed_at=row.finished_at,
        metrics=dict(details.get("metrics") or {}),
        error=row.error,
    )


def run_detail(
    row: Run, owner: Pipeline | None, tasks: list[RunTask], requester: User | None = None
) -> PipelineRunDetail:
    return PipelineRunDetail(
        **run(row, owner, requester).model_dump(), task_runs=[task(t) for t in tasks]
    )


def log(row: RunLog) -> RunLogRead:
    return RunLogRead(
        timestamp=row.timestamp,
        level=row.level.upper(),
        message=row.message,
        task_id=row.task_id,
        context=dict(row.context or {}),
    )
