"""Health, metrics and documentation endpoints."""

from __future__ import annotations

from imas import __version__
from imas.api.app import create_app
from tests.auth.github.fake_github import CLIENT_ID, CLIENT_SECRET, FakeGitHub
from tests.conftest import client_for
from tests.notify.receivers import free_port


class TestHealth:
    async def test_healthy_with_database_timing(self, client):
        response = await client.get("/health")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "healthy"
        assert body["version"] == __version__
        assert body["database"]["status"] == "connected"
        assert body["database"]["response_time"] >= 0
        assert body["timestamp"].endswith("Z")

    async def test_unreachable_database_is_503_unhealthy(self, make_settings):
        from imas.db import Database

        settings = make_settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
        app = create_app(settings, Database(settings))
        async with client_for(app) as http:
            response = await http.get("/health")
        assert response.status_code == 503
        assert response.json()["status"] == "unhealthy"
        assert response.json()["database"]["status"] == "unavailable"


class TestMetrics:
    async def test_requests_are_counted_by_route_template(self, client, admin):
        await client.get(f"/api/v1/users/{admin.user.id}/", headers=admin.headers)
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text
        assert (
            'imas_http_requests_total{method="GET",route="/api/v1/users/{user_id}/",status="200"}'
            in text
        )
        assert "imas_http_request_duration_seconds_bucket" in text
        assert str(admin.user.id) not in text  # ids never become label values


class TestDocs:
    async def test_swagger_redoc_and_schema_are_served(self, client):
        assert (await client.get("/api/docs/")).status_code == 200
        assert (await client.get("/api/redoc/")).status_code == 200
        schema = (await client.get("/api/schema/")).json()
        assert schema["info"]["title"] == "IMAS"

    async def test_schema_documents_the_error_shape_not_fastapis_422(self, client):
        schema = (await client.get("/api/schema/")).json()
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                responses = operation["responses"]
                assert "422" not in responses, (method, path)
                assert "400" in responses, (method, path)
                assert "429" in responses, (method, path)
        assert "ErrorResponse" in schema["components"]["schemas"]
        assert "HTTPValidationError" not in schema["components"]["schemas"]

    async def test_both_auth_schemes_are_documented(self, client):
        schema = (await client.get("/api/schema/")).json()
        assert {"TokenAuth", "BearerAuth"} <= schema["components"]["securitySchemes"].keys()
        me = schema["paths"]["/api/v1/users/me/"]["get"]
        assert {"TokenAuth": []} in me["security"]
        assert {"BearerAuth": []} in me["security"]


class TestExternalServices:
    async def test_nothing_configured_is_healthy_and_says_so(self, client):
        body = (await client.get("/health")).json()
        assert body["status"] == "healthy"
        assert body["external_services"]["github"] == {
            "status": "not_configured",
            "response_time": None,
        }
        assert body["external_services"]["kubernetes"]["status"] == "not_configured"

    async def test_github_is_timed_and_remembered_for_a_while(self, make_settings, db):
        github = FakeGitHub()
        await github.start()
        try:
            settings = make_settings(
                github_client_id=CLIENT_ID,
                github_client_secret=CLIENT_SECRET,
                github_api_url=github.base_url,
                health_cache_seconds=60,
            )
            async with client_for(create_app(settings, db)) as http:
                first = (await http.get("/health")).json()
                await github.stop()  # within the cache window, /health does not ask again
                second = (await http.get("/health")).json()
        finally:
            await github.stop()
        assert first["status"] == "healthy"
        assert first["external_services"]["github"]["status"] == "available"
        assert first["external_services"]["github"]["response_time"] >= 0
        assert second["external_services"] == first["external_services"]

    async def test_an_unreachable_github_is_degraded_not_down(self, make_settings, db):
        settings = make_settings(
            github_client_id=CLIENT_ID,
            github_client_secret=CLIENT_SECRET,
            github_api_url=f"http://127.0.0.1:{free_port()}",
            health_cache_seconds=0,
        )
        async with client_for(create_app(settings, db)) as http:
            response = await http.get("/health")
        assert response.status_code == 200  # a load balancer keeps IMAS in rotation
        assert response.json()["status"] == "degraded"
        assert response.json()["external_services"]["github"] == {
            "status": "unavailable",
            "response_time": None,
        }
