"""Change events: every run, deployment and push of a repository that deploys a service is a
change of that service. When an incident of the service opens, the changes within their
window before it (the repository's `change_window_minutes`) go on its timeline, each at the
moment it happened: "Deployed acme/api@abc1234 to production by alice, 4 minutes before"."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.cicd import repository
from imas.cicd.models import ChangeEvent, ChangeKind, CiRepository, CiRun, RunStatus
from imas.cicd.providers.base import PushIn, first_line
from imas.db import utcnow
from imas.incidents.models import Incident, TimelineType
from imas.incidents.service import timeline

MAX_WINDOW = timedelta(days=7)
"""No repository's window is longer (the schema's bound): the query's outer limit."""


def _short(sha: str) -> str:
    return sha[:7]


def _run_summary(repo: CiRepository, run: CiRun) -> str:
    at = f"{repo.full_name}@{_short(run.commit_sha)}" if run.commit_sha else repo.full_name
    who = f" by {run.commit_author_name or run.commit_author}" if run.commit_author else ""
    if run.is_deployment:
        where = f" to {run.environment}" if run.environment else ""
        verb = {
            RunStatus.SUCCESS: "Deployed",
            RunStatus.FAILED: "Failed deployment of",
            RunStatus.CANCELLED: "Cancelled deployment of",
        }.get(RunStatus(run.status), "Deploying")
        return f"{verb} {at}{where}{who} ({run.name})"
    branch = f" on {run.branch}" if run.branch else ""
    return f"CI run '{run.name}'{branch} of {at}{who}: {run.status}"


async def _upsert(session: AsyncSession, key: str, values: dict[str, object]) -> None:
    found = await repository.change_by_key(session, key)
    if found is None:
        try:
            async with session.begin_nested():
                session.add(ChangeEvent(dedup_key=key, **values))
                await session.flush()
            return
        except IntegrityError:
            found = await repository.change_by_key(session, key)
            if found is None:
                raise
    for name, value in values.items():
        setattr(found, name, value)


async def of_run(session: AsyncSession, repo: CiRepository, run: CiRun) -> None:
    """The run as a change of the repository's service (nothing if it deploys none)."""
    if repo.service_id is None:
        return
    await _upsert(
        session,
        f"run:{run.id}",
        {
            "service_id": repo.service_id,
            "repository_id": repo.id,
            "ci_run_id": run.id,
            "kind": ChangeKind.DEPLOYMENT if run.is_deployment else ChangeKind.CI_RUN,
            "summary": _run_summary(repo, run),
            "sha": run.commit_sha,
            "author": run.commit_author_name or run.commit_author,
            "url": run.url,
            "environment": run.environment,
            "occurred_at": run.finished_at or run.started_at or utcnow(),
            "window_minutes": repo.change_window_minutes,
        },
    )


async def of_push(session: AsyncSession, repo: CiRepository, push: PushIn) -> None:
    if repo.service_id is None:
        return
    who = f" by {push.author_name or push.author}" if push.author else ""
    message = first_line(push.message, 120)
    await _upsert(
        session,
        f"push:{repo.id}:{push.branch}:{push.sha}",
        {
            "service_id": repo.service_id,
            "repository_id": repo.id,
            "kind": ChangeKind.PUSH,
            "summary": f"Pushed {repo.full_name}@{_short(push.sha)} to {push.branch}{who}"
            + (f": {message}" if message else ""),
            "sha": push.sha,
            "author": push.author_name or push.author,
            "url": push.url,
            "occurred_at": push.pushed_at or utcnow(),
            "window_minutes": repo.change_window_minutes,
        },
    )


def _before(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute before"
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''} before"
    return f"{minutes // 60} hours before"


async def onto_timeline(session: AsyncSession, incident: Incident) -> int:
    """Put the service's changes of the window before the incident on its timeline; how many."""
    started: datetime = incident.detected_at
    found = await repository.changes_before(
        session, incident.service_id, started - MAX_WINDOW, started
    )
    added = 0
    for change in found:
        delta = started - change.occurred_at
        if delta > timedelta(minutes=change.window_minutes):
            continue
        entry = timeline.record(
            session,
            incident,
            TimelineType.CHANGE,
            f"{change.summary}, {_before(delta)}",
            None,
            change_id=str(change.id),
            change_kind=change.kind,
            sha=change.sha,
            author=change.author,
            url=change.url,
            environment=change.environment,
            pipeline_id=str(change.ci_run_id) if change.ci_run_id else None,
            occurred_at=change.occurred_at.isoformat().replace("+00:00", "Z"),
            seconds_before=int(delta.total_seconds()),
        )
        entry.timestamp = change.occurred_at
        added += 1
    return added  # flushed with the incident's other rows (the intake flushes once)
