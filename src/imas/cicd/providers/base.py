"""The provider-neutral shape of a webhook: a run (with the jobs it carries), a job of a run,
or a push; and the helpers both providers use to read their payloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from imas.cicd.exceptions import InvalidWebhook
from imas.cicd.models import RunStatus

M = TypeVar("M", bound=BaseModel)


@dataclass
class JobIn:
    external_id: str
    name: str
    status: RunStatus
    conclusion: str | None = None
    stage: str | None = None
    position: int = 0
    environment: str | None = None
    url: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: int | None = None


@dataclass
class RunIn:
    external_id: str
    name: str
    status: RunStatus
    branch: str | None = None
    conclusion: str | None = None
    run_number: int | None = None
    attempt: int = 1
    sha: str = ""
    message: str = ""
    author: str = ""
    author_name: str = ""
    url: str | None = None
    trigger: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: int | None = None
    jobs: list[JobIn] = field(default_factory=list)
    environment: str | None = None
    """The environment the provider says the run deploys to (GitHub deployment statuses)."""
    partial: bool = False
    """The event knows the run only roughly (a job's, a deployment's): fill gaps only."""


@dataclass
class JobOfRun:
    """A job event: the job, and enough of its run to record the run if it is not known yet."""

    run: RunIn
    job: JobIn


@dataclass
class PushIn:
    branch: str
    sha: str
    message: str
    author: str
    author_name: str
    url: str | None
    pushed_at: datetime | None


Parsed = RunIn | JobOfRun | PushIn


def validate(model: type[M], payload: Any, provider: str) -> M:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise InvalidWebhook(
            f"The {provider} payload is not in the documented shape: {problems}",
            details={"errors": [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]},
        ) from None


def utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def seconds_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(round((end - start).total_seconds()), 0)


def first_line(text: str, limit: int = 300) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."
