"""GitHub's webhook events (`X-GitHub-Event`): `workflow_run` (requested, in_progress,
completed), `workflow_job` (queued, in_progress, completed, waiting), `push` and
`deployment_status`, in the shapes of GitHub's webhook documentation. Other events are
acknowledged and ignored.

A deployment status names its environment: made by a workflow run (a job with `environment:`),
it marks that run as deploying there; made by another tool, it is a run of its own
(`deployment-<id>`)."""

from __future__ import annotations

from typing import Any

from imas.cicd.models import RunStatus
from imas.cicd.providers.base import (
    JobIn,
    JobOfRun,
    Parsed,
    PushIn,
    RunIn,
    seconds_between,
    utc,
    validate,
)
from imas.cicd.providers.github_payloads import (
    Account,
    DeploymentStatusEvent,
    HeadCommit,
    PushEvent,
    WorkflowJobEvent,
    WorkflowRunEvent,
)

PROVIDER = "github"
HANDLED = frozenset({"workflow_run", "workflow_job", "push", "deployment_status"})
_SUCCESS = {"success", "neutral"}
_CANCELLED = {"cancelled", "stale", "skipped"}
_DEPLOYMENT_STATE = {
    "success": RunStatus.SUCCESS,
    "failure": RunStatus.FAILED,
    "error": RunStatus.FAILED,
    "in_progress": RunStatus.RUNNING,
}


def repository_of(payload: Any) -> str | None:
    repo = payload.get("repository") if isinstance(payload, dict) else None
    name = repo.get("full_name") if isinstance(repo, dict) else None
    return name if isinstance(name, str) and name else None


def status_of(status: str | None, conclusion: str | None) -> RunStatus:
    if status == "completed":
        if conclusion in _SUCCESS:
            return RunStatus.SUCCESS
        if conclusion in _CANCELLED:
            return RunStatus.CANCELLED
        return RunStatus.FAILED
    if status == "in_progress":
        return RunStatus.RUNNING
    return RunStatus.QUEUED  # requested, queued, waiting, pending


def _author(commit: HeadCommit | None, fallback: Account | None) -> tuple[str, str]:
    person = commit.author if commit else None
    name = (person.username or person.name) if person else None
    name = name or (fallback.login if fallback else "")
    email = person.email if person and person.email else None
    return email or name or "", name or ""


def _run(event: WorkflowRunEvent) -> RunIn:
    run = event.workflow_run
    status = status_of(run.status, run.conclusion)
    started = utc(run.run_started_at or run.created_at)
    finished = utc(run.updated_at) if status in (RunStatus.SUCCESS, RunStatus.FAILED) else None
    if status == RunStatus.CANCELLED:
        finished = utc(run.updated_at)
    author, author_name = _author(run.head_commit, run.actor)
    return RunIn(
        external_id=str(run.id),
        name=run.name or run.display_title or "workflow",
        status=status,
        branch=run.head_branch,
        conclusion=run.conclusion,
        run_number=run.run_number,
        attempt=run.run_attempt,
        sha=run.head_sha,
        message=run.head_commit.message if run.head_commit else "",
        author=author,
        author_name=author_name,
        url=run.html_url,
        trigger=run.event,
        started_at=started,
        finished_at=finished,
        duration_seconds=seconds_between(started, finished),
    )


def _job(event: WorkflowJobEvent) -> JobOfRun:
    job = event.workflow_job
    status = status_of(job.status, job.conclusion)
    started, finished = utc(job.started_at), utc(job.completed_at)
    run = RunIn(
        external_id=str(job.run_id),
        name=job.workflow_name or "workflow",
        status=RunStatus.RUNNING if status != RunStatus.QUEUED else RunStatus.QUEUED,
        branch=job.head_branch,
        attempt=job.run_attempt,
        sha=job.head_sha,
        url=job.run_url,
        started_at=utc(job.created_at) or started,
    )
    return JobOfRun(
        run=run,
        job=JobIn(
            external_id=str(job.id),
            name=job.name,
            status=status,
            conclusion=job.conclusion,
            url=job.html_url,
            started_at=started,
            finished_at=finished if status not in (RunStatus.QUEUED, RunStatus.RUNNING) else None,
            duration_seconds=seconds_between(started, finished),
        ),
    )


def _deployment(event: DeploymentStatusEvent) -> RunIn | None:
    deployment, state = event.deployment, event.deployment_status
    environment = state.environment or deployment.environment
    if event.workflow_run is not None:  # the deploying job of a workflow run
        run = _run(
            WorkflowRunEvent(
                action="in_progress", workflow_run=event.workflow_run, repository=event.repository
            )
        )
        run.partial = True
        run.environment = environment
        return run
    status = _DEPLOYMENT_STATE.get(state.state)
    if status is None and state.state not in ("pending", "queued"):
        return None  # inactive: an older deployment replaced, nothing ran
    status = status or RunStatus.QUEUED
    started = utc(deployment.created_at)
    finished = (
        utc(state.updated_at or state.created_at)
        if status
        in (
            RunStatus.SUCCESS,
            RunStatus.FAILED,
        )
        else None
    )
    who = deployment.creator.login if deployment.creator else ""
    return RunIn(
        external_id=f"deployment-{deployment.id}",
        name=f"{deployment.task or 'deploy'} to {environment}",
        status=status,
        branch=deployment.ref,
        conclusion=state.state,
        sha=deployment.sha,
        message=deployment.description or "",
        author=who,
        author_name=who,
        url=state.target_url or state.log_url,
        trigger="deployment",
        started_at=started,
        finished_at=finished,
        duration_seconds=seconds_between(started, finished),
        environment=environment,
    )


def _push(event: PushEvent) -> PushIn | None:
    if event.deleted or not event.ref.startswith("refs/heads/") or event.head_commit is None:
        return None  # a branch deleted, a tag: no change to a service
    commit = event.head_commit
    author, author_name = _author(commit, None)
    if not author_name and event.pusher:
        author_name = event.pusher.name or ""
        author = event.pusher.email or author_name
    return PushIn(
        branch=event.ref.removeprefix("refs/heads/"),
        sha=event.after,
        message=commit.message,
        author=author,
        author_name=author_name,
        url=commit.url or event.compare,
        pushed_at=utc(commit.timestamp),
    )


def parse(event: str, payload: Any) -> Parsed | None:
    """The run, job or push of an event IMAS handles (None: nothing changed)."""
    if event == "workflow_run":
        return _run(validate(WorkflowRunEvent, payload, PROVIDER))
    if event == "workflow_job":
        return _job(validate(WorkflowJobEvent, payload, PROVIDER))
    if event == "deployment_status":
        return _deployment(validate(DeploymentStatusEvent, payload, PROVIDER))
    return _push(validate(PushEvent, payload, PROVIDER))
