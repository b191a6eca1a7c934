"""Rows -> response models."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from imas.cicd.models import (
    ChangeEvent,
    ChangeKind,
    CiRepository,
    CiRun,
    CiStage,
    Provider,
    RunStatus,
)
from imas.cicd.providers.base import seconds_between
from imas.cicd.schemas import (
    ChangeRead,
    Commit,
    PipelineDetail,
    PipelineRead,
    RepositoryRead,
    RepositoryWithSecret,
    ServiceRef,
    Stage,
)

WEBHOOKS = "/api/v1/ci/webhooks"


def repository(repo: CiRepository) -> RepositoryRead:
    return RepositoryRead(
        id=repo.id,
        provider=Provider(repo.provider),
        full_name=repo.full_name,
        service=ServiceRef(id=repo.service.id, name=repo.service.name) if repo.service else None,
        default_branch=repo.default_branch,
        alert_on_default_branch_failure=repo.alert_on_default_branch_failure,
        alert_severity=repo.alert_severity,
        deployment_workflows=list(repo.deployment_workflows or []),
        deployment_environments=list(repo.deployment_environments or []),
        change_window_minutes=repo.change_window_minutes,
        is_active=repo.is_active,
        webhook_url=f"{WEBHOOKS}/{repo.provider}/",
        created_at=repo.created_at,
        updated_at=repo.updated_at,
    )


def with_secret(repo: CiRepository, secret: str) -> RepositoryWithSecret:
    return RepositoryWithSecret(**repository(repo).model_dump(), webhook_secret=secret)


def _fields(run: CiRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "repository": run.repository.full_name,
        "provider": run.provider,
        "name": run.name,
        "run_number": run.run_number,
        "attempt": run.attempt,
        "branch": run.branch,
        "status": run.status,
        "conclusion": run.conclusion,
        "duration": run.duration_seconds,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "commit": Commit(
            sha=run.commit_sha,
            message=run.commit_message,
            author=run.commit_author,
            author_name=run.commit_author_name,
        ),
        "url": run.url,
        "trigger": run.trigger,
        "is_deployment": run.is_deployment,
        "environment": run.environment,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
    }


def pipeline(run: CiRun) -> PipelineRead:
    return PipelineRead(**_fields(run))


def pipeline_detail(run: CiRun) -> PipelineDetail:
    return PipelineDetail(**_fields(run), stages=stages(run.stages))


def _stage_status(statuses: set[str]) -> RunStatus:
    for status in (RunStatus.FAILED, RunStatus.RUNNING, RunStatus.QUEUED, RunStatus.SUCCESS):
        if status in statuses:
            if status == RunStatus.QUEUED and statuses & {RunStatus.SUCCESS, RunStatus.FAILED}:
                return RunStatus.RUNNING  # some jobs done, some still to run
            return status
    return RunStatus.CANCELLED


def stages(jobs: list[CiStage]) -> list[Stage]:
    """The run's stages in order: GitLab's stages (their jobs grouped), GitHub's jobs."""
    grouped: dict[str, list[CiStage]] = defaultdict(list)
    for job in sorted(jobs, key=lambda j: (j.position, j.started_at is None, j.started_at)):
        grouped[job.stage or job.name].append(job)
    out = []
    for name, members in grouped.items():
        starts = [j.started_at for j in members if j.started_at]
        ends = [j.finished_at for j in members if j.finished_at]
        status = _stage_status({j.status for j in members})
        start = min(starts) if starts else None
        end = max(ends) if ends and status not in (RunStatus.RUNNING, RunStatus.QUEUED) else None
        duration = seconds_between(start, end)
        if duration is None and len(members) == 1:
            duration = members[0].duration_seconds
        out.append(
            Stage(
                name=name,
                status=status,
                duration=duration,
                started_at=start,
                finished_at=end,
                jobs=[_job(j) for j in members],
            )
        )
    return out


def _job(job: CiStage) -> dict[str, Any]:
    return {
        "name": job.name,
        "status": job.status,
        "conclusion": job.conclusion,
        "duration": job.duration_seconds,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "environment": job.environment,
        "url": job.url,
    }


def change(event: ChangeEvent) -> ChangeRead:
    return ChangeRead(
        id=event.id,
        service_id=event.service_id,
        kind=ChangeKind(event.kind),
        summary=event.summary,
        sha=event.sha,
        author=event.author,
        url=event.url,
        environment=event.environment,
        occurred_at=event.occurred_at,
        pipeline_id=event.ci_run_id,
    )
