"""`restart_service` (seed 001's example): restart a service through the executor set up for it
(kind `service`: the service's own restart endpoint), then wait for its health check.

Executor config: `restart_path` (default `/restart`), `restart_method` (POST), `health_path`
(default `/health`), `health_timeout_seconds` (60), `poll_seconds` (2). An environment, when
given, is sent as `?environment=` to both.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, ClassVar

import httpx
from pydantic import Field

from imas.automation.actions.base import (
    Action,
    ActionContext,
    ExecutorInfo,
    Outcome,
    Params,
    checked,
)


class RestartServiceParams(Params):
    service_name: str = Field(min_length=1, max_length=100)
    environment: str | None = Field(default=None, max_length=100)
    wait_for_health_check: bool = True


class RestartService(Action):
    kind = "restart_service"
    description = "Restart a service through its executor and wait until its health check passes."
    Params = RestartServiceParams
    executor_kinds: ClassVar[tuple[str, ...]] = ("service",)
    executor_required = True
    max_retries = 2

    def _urls(self, executor: ExecutorInfo) -> tuple[str, str, str]:
        config = executor.config
        return (
            str(config.get("restart_method", "POST")).upper(),
            executor.url(str(config.get("restart_path", "/restart"))),
            executor.url(str(config.get("health_path", "/health"))),
        )

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        method, restart, health = self._urls(ctx.require_executor())
        p: RestartServiceParams = ctx.params
        return {
            "restart": f"{method} {restart}",
            "health_check": f"GET {health}" if p.wait_for_health_check else None,
            "service_name": p.service_name,
            "environment": p.environment,
        }

    async def run(self, ctx: ActionContext) -> Outcome:
        p: RestartServiceParams = ctx.params
        executor = ctx.require_executor()
        method, restart, health = self._urls(executor)
        query = {"environment": p.environment} if p.environment else {}
        headers = {**executor.auth_headers(), "Idempotency-Key": ctx.idempotency_key()}
        previous = await _health(ctx.http, health, query, headers)
        ctx.log("info", f"Initiating service restart of {p.service_name} (was {previous})")
        await checked(
            await ctx.http.request(method, restart, params=query, headers=headers),
            f"the restart endpoint of {p.service_name}",
        )
        ctx.log("info", "Restart requested")
        details: dict[str, Any] = {
            "service_name": p.service_name,
            "environment": p.environment,
            "previous_status": previous,
            "current_status": "restarting",
            "health_check_passed": None,
        }
        if not p.wait_for_health_check:
            return Outcome(True, details)
        timeout = float(executor.config.get("health_timeout_seconds", 60))
        poll = float(executor.config.get("poll_seconds", 2))
        deadline = time.monotonic() + timeout
        while True:
            status = await _health(ctx.http, health, query, headers)
            if status == "healthy":
                ctx.log("info", "Health check passed")
                details.update(current_status="healthy", health_check_passed=True)
                return Outcome(True, details)
            if time.monotonic() >= deadline:
                ctx.log("error", f"Health check still failing after {timeout:g} s")
                details.update(current_status=status, health_check_passed=False)
                return Outcome(False, details, error="the service is not healthy after restart")
            await asyncio.sleep(poll)


async def _health(
    http: httpx.AsyncClient, url: str, query: dict[str, str], headers: dict[str, str]
) -> str:
    try:
        response = await http.get(url, params=query, headers=headers)
    except httpx.HTTPError:
        return "unreachable"
    return "healthy" if 200 <= response.status_code < 300 else "unhealthy"
