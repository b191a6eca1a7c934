"""CI/CD runs that failed on a repository's default branch (IMAS's own `cicd` module reports
here; any CI tool can post the same body to `/api/v1/webhooks/cicd/`).

One alert per repository, workflow and branch (fingerprint `cicd:<repository>:<workflow>:
<branch>`): a failed run fires it (repeats count on it), the next successful run of that
workflow on that branch resolves it."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from imas.alerts.models import AlertStatus
from imas.alerts.sources.base import (
    IMAS_LEVELS,
    AlertIn,
    Source,
    bounded_fingerprint,
    real_time,
    title_of,
)
from imas.types import UtcDateTime


class CommitInfo(BaseModel):
    sha: str = Field(default="", max_length=64)
    message: str = Field(default="", max_length=20_000)
    author: str = Field(default="", max_length=300)


class CiRunReport(BaseModel):
    repository: str = Field(min_length=1, max_length=300)
    workflow: str = Field(min_length=1, max_length=300)
    branch: str = Field(min_length=1, max_length=255)
    status: Literal["failed", "success"]
    run_id: str = Field(min_length=1, max_length=200)
    provider: str = Field(default="", max_length=20)
    commit: CommitInfo = Field(default_factory=CommitInfo)
    severity: str | None = Field(default=None, max_length=50)
    service: str | None = Field(default=None, max_length=100)
    occurred_at: UtcDateTime | None = None
    link: str | None = Field(default=None, max_length=2000)


class CicdSource(Source):
    kind = "cicd"
    title = "CI/CD runs"
    payload_model: ClassVar[type[BaseModel]] = CiRunReport
    severity_table = IMAS_LEVELS

    def parse(self, payload: Any) -> list[AlertIn]:
        report = self.validate(CiRunReport, payload)
        failed = report.status == "failed"
        labels = {
            "alertname": "CiRunFailed",
            "alert_type": "ci_run_failed",
            "repository": report.repository,
            "workflow": report.workflow,
            "branch": report.branch,
            "run_id": report.run_id,
            "commit_sha": report.commit.sha,
        }
        if report.provider:
            labels["provider"] = report.provider
        if report.service:
            labels["service"] = report.service
        at = real_time(report.occurred_at)
        who = f" by {report.commit.author}" if report.commit.author else ""
        description = (
            f"Run {report.run_id} of '{report.workflow}' on {report.branch} of "
            f"{report.repository} failed at {report.commit.sha[:7]}{who}: "
            f"{report.commit.message.strip()[:2000]}"
        )
        return [
            AlertIn(
                fingerprint=bounded_fingerprint(
                    f"cicd:{report.repository}:{report.workflow}:{report.branch}"
                ),
                status=AlertStatus.FIRING if failed else AlertStatus.RESOLVED,
                title=title_of(
                    f"CI '{report.workflow}' failed on {report.repository}@{report.branch}",
                    fallback="CI run failed",
                ),
                description=description if failed else "",
                labels=labels,
                annotations={"commit_message": report.commit.message[:2000]},
                severity=self.severity(report.severity or "error"),
                service_name=report.service,
                starts_at=at if failed else None,
                ends_at=None if failed else at,
                links=[report.link] if report.link else [],
                raw=payload if isinstance(payload, dict) else {},
            )
        ]
