"""A failed run on a repository's default branch (when the repository asks for it) enters the
alert intake like any alert (source `cicd`), so it is deduplicated, grouped, paged and
escalated like one; the next successful run of that workflow on that branch resolves it.

The alerts come through one integration per organization, `IMAS CI/CD` (kind `cicd`), created
on first use, grouping by repository, workflow and branch. The alert's service is the
repository's, else that integration's default service, `ci-cd`, created with it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts.service.builtin import Builtin
from imas.alerts.service.intake import ingest
from imas.alerts.sources.cicd import CicdSource
from imas.cicd.models import CiRepository, CiRun, RunStatus

CICD = Builtin(
    kind=CicdSource.kind,
    name="IMAS CI/CD",
    description="Failed CI/CD runs on the default branch of this organization's repositories",
    default_service="ci-cd",
    service_description="CI/CD of repositories without a service (their failures' default)",
    grouping_labels=["repository", "workflow", "branch"],
)


def _report(repo: CiRepository, run: CiRun, status: str) -> dict[str, Any]:
    return {
        "repository": repo.full_name,
        "workflow": run.name,
        "branch": run.branch,
        "status": status,
        "run_id": str(run.id),
        "provider": repo.provider,
        "commit": {
            "sha": run.commit_sha,
            "message": run.commit_message,
            "author": run.commit_author_name or run.commit_author,
        },
        "severity": repo.alert_severity,
        "service": repo.service.name if repo.service else None,
        "occurred_at": run.finished_at.isoformat() if run.finished_at else None,
        "link": run.url,
    }


async def on_finished(session: AsyncSession, repo: CiRepository, run: CiRun) -> None:
    """Raise or resolve the alert of the run's workflow on the default branch."""
    if not run.branch or run.branch != repo.default_branch:
        return
    if run.status == RunStatus.FAILED and repo.alert_on_default_branch_failure:
        integration = await CICD.get_or_create(session)
        status = "failed"
    elif run.status == RunStatus.SUCCESS:
        found = await CICD.existing(session)
        if found is None:
            return  # nothing ever fired
        integration, status = found, "success"
    else:
        return
    [alert] = CicdSource().parse(_report(repo, run, status))
    await ingest(session, integration, [alert])
