"""Request and response models of the CI/CD API. A run reads as seed 002's Pipeline Model
(`id`, `repository`, `branch`, `status`, `duration`, `started_at`, `finished_at`, `commit`,
`stages`) with IMAS's own fields beside it."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from imas.cicd.models import ChangeKind, Provider, RunStatus
from imas.incidents.models import Severity
from imas.incidents.schemas import SeverityIn

_NAME = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$")
DEFAULT_DEPLOYMENT_WORKFLOWS = ["deploy*", "release*"]


def _repo_name(value: str) -> str:
    value = value.strip().strip("/")
    if not _NAME.match(value):
        raise ValueError("must be the repository's path, e.g. 'acme/api' or 'group/sub/project'")
    return value.lower()


RepoName = Annotated[str, Field(min_length=3, max_length=300), AfterValidator(_repo_name)]
Pattern = Annotated[str, Field(min_length=1, max_length=200)]
Branch = Annotated[str, Field(min_length=1, max_length=255)]
Window = Annotated[int, Field(ge=1, le=7 * 24 * 60, description="Minutes")]


class RepositoryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Provider
    full_name: RepoName = Field(description="`owner/name` (GitHub) or the project path (GitLab)")
    service: uuid.UUID | None = Field(default=None, description="The IMAS service it deploys")
    default_branch: Branch = "main"
    alert_on_default_branch_failure: bool = True
    alert_severity: SeverityIn = Severity.SEV2_HIGH
    deployment_workflows: list[Pattern] = Field(
        default_factory=lambda: list(DEFAULT_DEPLOYMENT_WORKFLOWS),
        max_length=50,
        description="Globs of workflow, job or stage names whose runs are deployments",
    )
    deployment_environments: list[Pattern] = Field(
        default_factory=lambda: ["*"],
        max_length=50,
        description="Globs of environments: a job deploying to one makes its run a deployment",
    )
    change_window_minutes: Window = 60
    is_active: bool = True


class RepositoryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: uuid.UUID | None = None
    default_branch: Branch | None = None
    alert_on_default_branch_failure: bool | None = None
    alert_severity: SeverityIn | None = None
    deployment_workflows: list[Pattern] | None = Field(default=None, max_length=50)
    deployment_environments: list[Pattern] | None = Field(default=None, max_length=50)
    change_window_minutes: Window | None = None
    is_active: bool | None = None


class ServiceRef(BaseModel):
    id: uuid.UUID
    name: str


class RepositoryRead(BaseModel):
    id: uuid.UUID
    provider: Provider
    full_name: str
    service: ServiceRef | None
    default_branch: str
    alert_on_default_branch_failure: bool
    alert_severity: str
    deployment_workflows: list[str]
    deployment_environments: list[str]
    change_window_minutes: int
    is_active: bool
    webhook_url: str = Field(description="Where the provider sends its webhooks")
    created_at: datetime
    updated_at: datetime


class RepositoryWithSecret(RepositoryRead):
    webhook_secret: str = Field(description="Shown once: the provider's webhook secret / token")


class Commit(BaseModel):
    sha: str
    message: str
    author: str
    author_name: str


class Stage(BaseModel):
    name: str
    status: RunStatus
    duration: int | None
    started_at: datetime | None
    finished_at: datetime | None
    jobs: list[dict[str, Any]] = Field(default_factory=list)


class PipelineRead(BaseModel):
    id: uuid.UUID
    repository: str
    provider: Provider
    name: str
    run_number: int | None
    attempt: int
    branch: str | None
    status: RunStatus
    conclusion: str | None
    duration: int | None
    started_at: datetime | None
    finished_at: datetime | None
    commit: Commit
    url: str | None
    trigger: str | None
    is_deployment: bool
    environment: str | None
    created_at: datetime
    updated_at: datetime


class PipelineDetail(PipelineRead):
    stages: list[Stage]


class ChangeRead(BaseModel):
    id: uuid.UUID
    service_id: uuid.UUID
    kind: ChangeKind
    summary: str
    sha: str
    author: str
    url: str | None
    environment: str | None
    occurred_at: datetime
    pipeline_id: uuid.UUID | None


class WebhookAnswer(BaseModel):
    status: str = Field(description="`recorded`, or `ignored` with the reason in `ignored`")
    ignored: str | None = None
    pipeline_id: uuid.UUID | None = None
    pipeline_status: RunStatus | None = None
