"""GitHub's webhook payloads, as GitHub's webhook documentation shapes them (the fields IMAS
reads; the rest is ignored)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Person(BaseModel):
    name: str | None = None
    email: str | None = None
    username: str | None = None


class Account(BaseModel):
    login: str


class HeadCommit(BaseModel):
    id: str
    message: str = ""
    timestamp: datetime | None = None
    author: Person | None = None
    url: str | None = None


class Repository(BaseModel):
    full_name: str = Field(min_length=1, max_length=300)
    default_branch: str | None = None


class WorkflowRun(BaseModel):
    id: int
    name: str | None = None
    display_title: str | None = None
    head_branch: str | None = None
    head_sha: str = ""
    status: str | None = None
    conclusion: str | None = None
    event: str | None = None
    html_url: str | None = None
    run_number: int | None = None
    run_attempt: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None
    run_started_at: datetime | None = None
    head_commit: HeadCommit | None = None
    actor: Account | None = None


class WorkflowRunEvent(BaseModel):
    action: str
    workflow_run: WorkflowRun
    repository: Repository


class WorkflowJob(BaseModel):
    id: int
    run_id: int
    run_attempt: int = 1
    name: str
    status: str
    conclusion: str | None = None
    head_sha: str = ""
    head_branch: str | None = None
    workflow_name: str | None = None
    html_url: str | None = None
    run_url: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None


class WorkflowJobEvent(BaseModel):
    action: str
    workflow_job: WorkflowJob
    repository: Repository


class Deployment(BaseModel):
    id: int
    sha: str = ""
    ref: str | None = None
    task: str | None = None
    environment: str = Field(min_length=1, max_length=200)
    description: str | None = None
    created_at: datetime | None = None
    creator: Account | None = None


class DeploymentStatus(BaseModel):
    id: int
    state: str
    environment: str | None = None
    target_url: str | None = None
    log_url: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class DeploymentStatusEvent(BaseModel):
    action: str
    deployment_status: DeploymentStatus
    deployment: Deployment
    workflow_run: WorkflowRun | None = None
    repository: Repository


class PushEvent(BaseModel):
    ref: str
    after: str
    deleted: bool = False
    compare: str | None = None
    repository: Repository
    pusher: Person | None = None
    head_commit: HeadCommit | None = None
