"""Runs and their jobs, upserted by the provider's ids: a redelivered webhook changes nothing,
one delivered late (an `in_progress` after the `completed`) never moves a run back, and a re-run
(a higher attempt) starts the run again. What a run's new state causes (events, the change
event, the alert) happens once, on the transition."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from imas.cicd import repository
from imas.cicd.models import FINISHED, CiRepository, CiRun, CiStage, RunStatus
from imas.cicd.providers.base import JobIn, RunIn

_RANK = {RunStatus.QUEUED: 0, RunStatus.RUNNING: 1}
_DONE = 2
DEPLOYMENT_TRIGGER = "deployment"


def _rank(status: str) -> int:
    return _RANK.get(RunStatus(status), _DONE)


@dataclass(frozen=True)
class Transition:
    run: CiRun
    before: str | None
    """The run's status before this webhook (None: the run is new)."""
    was_deployment: bool = False

    @property
    def started(self) -> bool:
        return self.run.status == RunStatus.RUNNING and self.before in (None, RunStatus.QUEUED)

    @property
    def deployment_started(self) -> bool:
        """The run deploys and runs, and did not both before (a job may reveal it deploys)."""
        run = self.run
        return bool(
            run.is_deployment
            and run.status == RunStatus.RUNNING
            and (self.started or not self.was_deployment)
        )

    @property
    def finished(self) -> bool:
        return self.run.status in FINISHED and (self.before is None or self.before not in FINISHED)


def matches(patterns: Iterable[str], names: Iterable[str | None]) -> bool:
    lowered = [p.lower() for p in patterns]
    return any(
        fnmatch.fnmatchcase(name.lower(), pattern) for name in names if name for pattern in lowered
    )


async def _get_or_add(
    session: AsyncSession, repo: CiRepository, incoming: RunIn
) -> tuple[CiRun, bool]:
    """The run of this external id, else a new one (`True`); a concurrent first delivery that
    won the unique key is re-read."""
    found = await repository.run_by_external(session, repo.id, incoming.external_id)
    if found is not None:
        set_committed_value(found, "repository", repo)
        return found, False
    run = CiRun(
        repository_id=repo.id,
        provider=repo.provider,
        external_id=incoming.external_id,
        name=incoming.name,
        status=incoming.status,
        attempt=incoming.attempt,
    )
    run.stages = []
    try:
        async with session.begin_nested():
            session.add(run)
            await session.flush()
    except IntegrityError:
        found = await repository.run_by_external(session, repo.id, incoming.external_id)
        if found is None:
            raise
        set_committed_value(found, "repository", repo)
        return found, False
    set_committed_value(run, "repository", repo)
    return run, True


def _apply(run: CiRun, incoming: RunIn, *, partial: bool) -> None:
    """Copy what the webhook says onto the run; `partial`: a job's event, which knows the run
    only roughly (it fills gaps, never overrides)."""
    newer_attempt = incoming.attempt > run.attempt
    if newer_attempt:
        run.attempt = incoming.attempt
        run.status = incoming.status
        run.conclusion = None
        run.finished_at = None
        run.duration_seconds = None
    elif _rank(incoming.status) > _rank(run.status):
        run.status = incoming.status  # (a job's event says at most "running")
    if partial:
        run.branch = run.branch or incoming.branch
        run.commit_sha = run.commit_sha or incoming.sha
        run.url = run.url or incoming.url
        run.started_at = run.started_at or incoming.started_at
        return
    run.name = incoming.name
    run.run_number = incoming.run_number or run.run_number
    run.branch = incoming.branch or run.branch
    run.commit_sha = incoming.sha or run.commit_sha
    run.commit_message = incoming.message or run.commit_message
    run.commit_author = incoming.author or run.commit_author
    run.commit_author_name = incoming.author_name or run.commit_author_name
    run.url = incoming.url or run.url
    run.trigger = incoming.trigger or run.trigger
    run.started_at = incoming.started_at or run.started_at
    if run.status == incoming.status:
        run.conclusion = incoming.conclusion or run.conclusion
        run.finished_at = incoming.finished_at or run.finished_at
        run.duration_seconds = (
            incoming.duration_seconds
            if incoming.duration_seconds is not None
            else run.duration_seconds
        )


def _upsert_job(session: AsyncSession, run: CiRun, job: JobIn) -> None:
    found = next((s for s in run.stages if s.external_id == job.external_id), None)
    if found is None:
        found = CiStage(run_id=run.id, external_id=job.external_id, status=job.status)
        found.organization_id = run.organization_id
        session.add(found)
        run.stages.append(found)
    elif _rank(job.status) < _rank(found.status):
        return  # delivered late: the job is already further along
    found.name = job.name
    found.stage = job.stage
    found.position = job.position
    found.status = job.status
    found.conclusion = job.conclusion
    found.environment = job.environment
    found.url = job.url or found.url
    found.started_at = job.started_at or found.started_at
    found.finished_at = job.finished_at
    found.duration_seconds = job.duration_seconds


def _detect_deployment(repo: CiRepository, run: CiRun, environment: str | None = None) -> None:
    names = [run.name, *(s.name for s in run.stages), *(s.stage for s in run.stages)]
    if run.trigger == DEPLOYMENT_TRIGGER:
        names = []  # a deployment by another tool: its environment alone decides
    environments = [s.environment for s in run.stages if s.environment]
    if environment:
        environments.append(environment)
    by_env = matches(repo.deployment_environments or [], environments)
    if by_env or matches(repo.deployment_workflows or [], names):
        run.is_deployment = True
        run.environment = environments[-1] if environments else run.environment


async def record_run(session: AsyncSession, repo: CiRepository, incoming: RunIn) -> Transition:
    run, created = await _get_or_add(session, repo, incoming)
    before, deploying = (None, False) if created else (run.status, run.is_deployment)
    _apply(run, incoming, partial=incoming.partial)
    for job in incoming.jobs:
        _upsert_job(session, run, job)
    _detect_deployment(repo, run, incoming.environment)
    await session.flush()
    return Transition(run=run, before=before, was_deployment=deploying)


async def record_job(
    session: AsyncSession, repo: CiRepository, run_in: RunIn, job: JobIn
) -> Transition:
    """A job's event: the job on its run (the run recorded from what the job knows if its own
    event has not come yet)."""
    run, created = await _get_or_add(session, repo, run_in)
    before, deploying = (None, False) if created else (run.status, run.is_deployment)
    _apply(run, run_in, partial=True)
    _upsert_job(session, run, job)
    _detect_deployment(repo, run)
    await session.flush()
    return Transition(run=run, before=before, was_deployment=deploying)
