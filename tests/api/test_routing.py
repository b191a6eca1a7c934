"""Routing: every domain router sits behind a check of its prefix (imas.api.routing)."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from imas.api.routing import PrefixedRouter
from tests.helpers import assert_error


def _scope(path: str) -> dict[str, object]:
    return {"type": "http", "method": "GET", "path": path, "root_path": ""}


class TestPrefixedRouter:
    def test_a_path_outside_the_prefix_never_reaches_the_routes(self):
        tried: list[str] = []

        class Spy(APIRoute):
            def matches(self, scope):  # type: ignore[no-untyped-def]
                tried.append(scope["path"])
                return super().matches(scope)

        inner = APIRouter(prefix="/api/v1/things", route_class=Spy)
        inner.add_api_route("/{thing_id}/", lambda thing_id: thing_id)
        app = FastAPI()
        app.include_router(PrefixedRouter(inner))

        app.router.matches(_scope("/api/v1/other/1/"))
        for route in app.router.routes:
            route.matches(_scope("/api/v1/other/1/"))
        assert tried == []
        for route in app.router.routes:
            route.matches(_scope("/api/v1/things/1/"))
        assert tried == ["/api/v1/things/1/"]

    async def test_requests_still_reach_their_routes_and_unknown_paths_404(
        self, client: httpx.AsyncClient
    ):
        health = await client.get("/health")
        assert health.status_code == 200
        assert_error(await client.get("/api/v1/no-such-thing/"), 404, "not_found")
        wrong_method = await client.delete("/api/v1/webhooks/alertmanager/")
        assert wrong_method.status_code == 405

    async def test_the_schema_still_lists_every_router(self, client: httpx.AsyncClient):
        paths = (await client.get("/api/schema/")).json()["paths"]
        for expected in (
            "/api/v1/incidents/",
            "/api/v1/webhooks/alertmanager/",
            "/api/v1/telemetry/metrics/",
            "/health",
        ):
            assert expected in paths
