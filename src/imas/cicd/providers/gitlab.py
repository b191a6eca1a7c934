"""GitLab's Pipeline Hook (`X-Gitlab-Event: Pipeline Hook`, `object_kind: pipeline`): the
pipeline with its commit and its jobs (`builds`), in the shape of GitLab's webhook
documentation. Other hooks are acknowledged and ignored."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, Field

from imas.cicd.models import RunStatus
from imas.cicd.providers.base import JobIn, RunIn, seconds_between, utc, validate

PROVIDER = "gitlab"
HANDLED = frozenset({"Pipeline Hook"})
_STATUS = {
    "running": RunStatus.RUNNING,
    "success": RunStatus.SUCCESS,
    "failed": RunStatus.FAILED,
    "canceled": RunStatus.CANCELLED,
    "canceling": RunStatus.CANCELLED,
    "skipped": RunStatus.CANCELLED,
}
_DEPLOYING_ACTIONS = {None, "start"}


def _gitlab_time(value: Any) -> Any:
    """GitLab writes `2016-08-12 15:23:28 UTC` (and ISO 8601 in newer versions)."""
    if isinstance(value, str) and value.endswith(" UTC"):
        return value.removesuffix(" UTC").replace(" ", "T") + "+00:00"
    return value


Time = Annotated[datetime | None, BeforeValidator(_gitlab_time)]


class Person(BaseModel):
    name: str | None = None
    username: str | None = None
    email: str | None = None


class Commit(BaseModel):
    id: str
    message: str = ""
    title: str | None = None
    url: str | None = None
    author: Person | None = None


class Project(BaseModel):
    path_with_namespace: str = Field(min_length=1, max_length=300)
    default_branch: str | None = None
    web_url: str | None = None


class Pipeline(BaseModel):
    id: int
    iid: int | None = None
    name: str | None = None
    ref: str | None = None
    tag: bool = False
    sha: str = ""
    source: str | None = None
    status: str
    stages: list[str] = Field(default_factory=list)
    created_at: Time = None
    finished_at: Time = None
    duration: float | None = None
    url: str | None = None


class Environment(BaseModel):
    name: str
    action: str | None = None


class Build(BaseModel):
    id: int
    stage: str | None = None
    name: str
    status: str
    created_at: Time = None
    started_at: Time = None
    finished_at: Time = None
    duration: float | None = None
    environment: Environment | None = None


class PipelineHook(BaseModel):
    object_kind: str
    object_attributes: Pipeline
    project: Project
    user: Person | None = None
    commit: Commit | None = None
    builds: list[Build] = Field(default_factory=list)


def repository_of(payload: Any) -> str | None:
    project = payload.get("project") if isinstance(payload, dict) else None
    name = project.get("path_with_namespace") if isinstance(project, dict) else None
    return name if isinstance(name, str) and name else None


def status_of(status: str) -> RunStatus:
    return _STATUS.get(status, RunStatus.QUEUED)  # created, pending, manual, scheduled...


def _job(build: Build, stages: list[str], base_url: str | None) -> JobIn:
    status = status_of(build.status)
    started, finished = utc(build.started_at), utc(build.finished_at)
    deploying = build.environment is not None and build.environment.action in _DEPLOYING_ACTIONS
    return JobIn(
        external_id=str(build.id),
        name=build.name,
        status=status,
        conclusion=build.status,
        stage=build.stage,
        position=stages.index(build.stage) if build.stage in stages else len(stages),
        environment=build.environment.name if deploying and build.environment else None,
        url=f"{base_url}/-/jobs/{build.id}" if base_url else None,
        started_at=started,
        finished_at=finished,
        duration_seconds=(
            round(build.duration)
            if build.duration is not None
            else seconds_between(started, finished)
        ),
    )


def parse(payload: Any) -> RunIn:
    hook = validate(PipelineHook, payload, PROVIDER)
    pipeline, commit = hook.object_attributes, hook.commit
    status = status_of(pipeline.status)
    started, finished = utc(pipeline.created_at), utc(pipeline.finished_at)
    person = commit.author if commit and commit.author else hook.user
    author_name = (person.name or person.username or "") if person else ""
    return RunIn(
        external_id=str(pipeline.id),
        name=pipeline.name or f"pipeline #{pipeline.iid or pipeline.id}",
        status=status,
        branch=None if pipeline.tag else pipeline.ref,
        conclusion=pipeline.status,
        run_number=pipeline.iid,
        sha=pipeline.sha or (commit.id if commit else ""),
        message=commit.message if commit else "",
        author=(person.email or author_name) if person else "",
        author_name=author_name,
        url=pipeline.url or (f"{hook.project.web_url}/-/pipelines/{pipeline.id}"),
        trigger=pipeline.source,
        started_at=started,
        finished_at=finished if status not in (RunStatus.QUEUED, RunStatus.RUNNING) else None,
        duration_seconds=(
            round(pipeline.duration)
            if pipeline.duration is not None
            else seconds_between(started, finished)
        ),
        jobs=[_job(b, pipeline.stages, hook.project.web_url) for b in hook.builds],
    )
