"""Tables of this domain: the repositories IMAS listens to, their CI runs and stages, and the
change events (deployments, runs, pushes) shown on the timeline of a service's incidents."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from imas.catalog.models import Service
from imas.db import Base, OrgOwned, Timestamps, UUIDPk, utcnow


class Provider(StrEnum):
    GITHUB = "github"
    GITLAB = "gitlab"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({RunStatus.SUCCESS, RunStatus.FAILED, RunStatus.CANCELLED})


class ChangeKind(StrEnum):
    DEPLOYMENT = "deployment"
    CI_RUN = "ci_run"
    PUSH = "push"


class CiRepository(UUIDPk, OrgOwned, Timestamps, Base):
    """A GitHub or GitLab repository whose webhooks IMAS accepts (with its own secret)."""

    __tablename__ = "ci_repositories"
    __audit__ = "ci_repository"
    __table_args__ = (UniqueConstraint("organization_id", "provider", "full_name"),)

    provider: Mapped[str] = mapped_column(String(20))
    full_name: Mapped[str] = mapped_column(String(300), index=True)
    """`owner/name` (GitHub) or the project's path with namespace (GitLab), lower case."""
    service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    default_branch: Mapped[str] = mapped_column(String(255), default="main")
    alert_on_default_branch_failure: Mapped[bool] = mapped_column(default=True)
    alert_severity: Mapped[str] = mapped_column(String(20), default="SEV2_HIGH")
    deployment_workflows: Mapped[list[str]] = mapped_column(default=list)
    """Glob patterns of workflow, job or stage names whose runs are deployments."""
    deployment_environments: Mapped[list[str]] = mapped_column(default=list)
    """Glob patterns of environment names: a job deploying to one makes its run a deployment."""
    change_window_minutes: Mapped[int] = mapped_column(default=60)
    is_active: Mapped[bool] = mapped_column(default=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    """Fernet token of the webhook secret (HMAC needs the plain value); never returned again."""
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    service: Mapped[Service | None] = relationship(lazy="raise")


class CiRun(UUIDPk, OrgOwned, Timestamps, Base):
    """One workflow run (GitHub) or pipeline (GitLab), upserted by its provider's id."""

    __tablename__ = "ci_runs"
    __table_args__ = (
        UniqueConstraint("repository_id", "external_id"),
        Index("ix_ci_runs_org_created", "organization_id", "created_at"),
    )

    repository_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ci_repositories.id", ondelete="CASCADE")
    )
    provider: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300), default="")
    run_number: Mapped[int | None]
    attempt: Mapped[int] = mapped_column(default=1)
    branch: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    conclusion: Mapped[str | None] = mapped_column(String(30))
    commit_sha: Mapped[str] = mapped_column(String(64), default="")
    commit_message: Mapped[str] = mapped_column(Text, default="")
    commit_author: Mapped[str] = mapped_column(String(300), default="")
    """The author's e-mail address when the provider gives one, else their name."""
    commit_author_name: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str | None] = mapped_column(String(2000))
    trigger: Mapped[str | None] = mapped_column(String(50))
    is_deployment: Mapped[bool] = mapped_column(default=False)
    environment: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]

    repository: Mapped[CiRepository] = relationship(lazy="raise")
    stages: Mapped[list[CiStage]] = relationship(
        lazy="raise", order_by="(CiStage.position, CiStage.started_at)", passive_deletes=True
    )


class CiStage(UUIDPk, OrgOwned, Base):
    """A job of a run (GitHub `workflow_job`, GitLab `builds`); `stage` groups them."""

    __tablename__ = "ci_run_stages"
    __table_args__ = (UniqueConstraint("run_id", "external_id"),)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ci_runs.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    stage: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20))
    conclusion: Mapped[str | None] = mapped_column(String(30))
    environment: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]


class ChangeEvent(UUIDPk, OrgOwned, Base):
    """Something that changed a service (a deployment, a CI run, a push), shown on the timeline
    of the service's incidents that start within `window_minutes` after it."""

    __tablename__ = "ci_change_events"
    __table_args__ = (
        UniqueConstraint("organization_id", "dedup_key"),
        Index("ix_ci_change_events_service_at", "service_id", "occurred_at"),
    )

    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="CASCADE"))
    repository_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ci_repositories.id", ondelete="SET NULL")
    )
    ci_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ci_runs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text)
    sha: Mapped[str] = mapped_column(String(64), default="")
    author: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str | None] = mapped_column(String(2000))
    environment: Mapped[str | None] = mapped_column(String(200))
    occurred_at: Mapped[datetime]
    window_minutes: Mapped[int] = mapped_column(default=60)
    dedup_key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
