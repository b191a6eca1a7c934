"""The external services `/health` reports (seed 002: GitHub, Kubernetes), each checked with
its own timeout, at once, and remembered for a few seconds: `/health` is public and polled by
load balancers, so one burst of calls must not become a burst of calls to every cluster."""

from __future__ import annotations

import asyncio
import time
from typing import Literal

from pydantic import BaseModel

from imas.auth.github.client import github_status
from imas.config import Settings
from imas.db import Database
from imas.kubernetes.service.health import cluster_statuses

Status = Literal["available", "degraded", "unavailable", "not_configured"]


class ExternalService(BaseModel):
    status: Status
    response_time: float | None = None
    """Milliseconds (the slowest answer, for several clusters); None when nothing answered."""


class KubernetesHealth(ExternalService):
    clusters: int = 0
    available: int = 0


class ExternalServices(BaseModel):
    github: ExternalService
    kubernetes: KubernetesHealth


async def _github(settings: Settings) -> ExternalService:
    status, elapsed = await github_status(settings, settings.health_check_timeout_seconds)
    return ExternalService.model_validate({"status": status, "response_time": elapsed})


async def _kubernetes(db: Database, settings: Settings) -> KubernetesHealth:
    """Every organization's clusters (a session bound to no organization sees them all),
    counted: no cluster name leaves this unauthenticated endpoint."""
    async with db.read_sessions() as session:
        statuses = await cluster_statuses(session, settings, settings.health_check_timeout_seconds)
    if not statuses:
        return KubernetesHealth(status="not_configured")
    up = [ms for status, ms in statuses.values() if status == "available"]
    if len(up) == len(statuses):
        status: Status = "available"
    else:
        status = "degraded" if up else "unavailable"
    slowest = max((ms for ms in up if ms is not None), default=None)
    return KubernetesHealth(
        status=status, response_time=slowest, clusters=len(statuses), available=len(up)
    )


class ExternalChecks:
    """The last answer, kept `health_cache_seconds`; concurrent callers share one check."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._checked_at = -float("inf")
        self._last: ExternalServices | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> ExternalServices:
        async with self._lock:
            fresh = time.monotonic() - self._checked_at < self._settings.health_cache_seconds
            if self._last is None or not fresh:
                github, kubernetes = await asyncio.gather(
                    _github(self._settings), _kubernetes(self._db, self._settings)
                )
                self._last = ExternalServices(github=github, kubernetes=kubernetes)
                self._checked_at = time.monotonic()
            return self._last
