"""Seed 002's events of a run's transitions: `pipeline.started|completed|failed` for every
run, `deployment.started|completed` for the runs that deploy. `data.pipeline` is the run as
the pipelines API shows it (without stages); `data.deployment` says what went where."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.cicd import presenters
from imas.cicd.models import CiRepository, CiRun, RunStatus
from imas.cicd.service.runs import Transition
from imas.events import EventType, emit


def _pipeline(run: CiRun) -> dict[str, Any]:
    return presenters.pipeline(run).model_dump(mode="json")


def _deployment(repo: CiRepository, run: CiRun) -> dict[str, Any]:
    service = {"id": str(repo.service.id), "name": repo.service.name} if repo.service else None
    return {
        "id": str(run.id),
        "repository": repo.full_name,
        "service": service,
        "environment": run.environment,
        "status": run.status,
        "sha": run.commit_sha,
        "author": run.commit_author,
        "url": run.url,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration": run.duration_seconds,
    }


async def emit_transition(session: AsyncSession, repo: CiRepository, moved: Transition) -> None:
    run = moved.run

    async def pipeline() -> dict[str, Any]:
        return {"pipeline": _pipeline(run)}

    async def deployment() -> dict[str, Any]:
        return {"deployment": _deployment(repo, run), "pipeline": _pipeline(run)}

    if moved.started:
        await emit(session, EventType.PIPELINE_STARTED, pipeline)
    if moved.deployment_started:
        await emit(session, EventType.DEPLOYMENT_STARTED, deployment)
    if moved.finished:
        failed = run.status == RunStatus.FAILED
        kind = EventType.PIPELINE_FAILED if failed else EventType.PIPELINE_COMPLETED
        await emit(session, kind, pipeline)
        if run.is_deployment:
            await emit(session, EventType.DEPLOYMENT_COMPLETED, deployment)
