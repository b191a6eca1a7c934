"""A service with its own restart and health endpoints (what `restart_service` and
`http_request` call): unhealthy until restarted, healthy after; every call recorded."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.integrations.servers import LocalServer

TOKEN = "svc-token-5b2c"


class FakeService(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self) -> None:
        self.healthy = False
        self.restarts: list[dict[str, str]] = []
        self.failures = 0
        """How many of the next restart calls answer 500."""
        self.hang = 0.0
        """Seconds a restart call takes (a slow or stuck service)."""
        self.calls: list[str] = []

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/ops/restart", self._restart, methods=["POST"]),
                Route("/ops/health", self._health, methods=["GET"]),
            ]
        )

    async def _restart(self, request: Request) -> JSONResponse:
        self.calls.append("restart")
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        self.restarts.append(
            {
                "idempotency_key": request.headers.get("idempotency-key", ""),
                "environment": request.query_params.get("environment", ""),
            }
        )
        if self.hang:
            await asyncio.sleep(self.hang)
        if self.failures > 0:
            self.failures -= 1
            return JSONResponse({"error": "restart failed: pid file locked"}, status_code=500)
        self.healthy = True
        return JSONResponse({"status": "restarting"}, status_code=202)

    async def _health(self, request: Request) -> JSONResponse:
        self.calls.append("health")
        code = 200 if self.healthy else 503
        return JSONResponse({"healthy": self.healthy}, status_code=code)
