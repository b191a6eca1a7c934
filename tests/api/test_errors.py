"""Every error leaves IMAS in one shape, with a request id, and bad input never becomes a 500."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from tests.conftest import client_for
from tests.helpers import assert_error


class TestErrorShape:
    async def test_unknown_route_is_404(self, client):
        assert_error(await client.get("/api/v1/nothing-here/"), 404, "not_found")

    async def test_wrong_method_is_405(self, client):
        assert_error(await client.delete("/health"), 405, "method_not_allowed")

    async def test_missing_credential_is_401(self, client):
        body = assert_error(await client.get("/api/v1/users/"), 401, "not_authenticated")
        assert body["error"] == "Authentication required"

    async def test_missing_scope_is_403(self, client, db):
        from tests.factories import make_actor

        viewer = await make_actor(db, role="viewer")
        response = await client.post(
            "/api/v1/users/",
            headers=viewer.headers,
            json={"username": "new", "password": "long-enough-pw"},
        )
        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": "admin"}

    async def test_other_orgs_object_is_404(self, client, admin, outsider):
        response = await client.get(f"/api/v1/users/{outsider.user.id}/", headers=admin.headers)
        assert_error(response, 404, "not_found")

    async def test_validation_error_is_400_per_field(self, client, admin):
        response = await client.post(
            "/api/v1/users/", headers=admin.headers, json={"password": "x"}
        )
        body = assert_error(response, 400, "validation_error")
        assert body["error"] == "Validation failed"
        assert set(body["details"]) == {"username", "password"}
        assert "username" in body["message"]

    async def test_validation_error_never_echoes_input(self, client, admin):
        secret = "s3cr3t-but-too-long-" + "x" * 300
        response = await client.post(
            "/api/v1/users/", headers=admin.headers, json={"username": "a b", "password": secret}
        )
        assert response.status_code == 400
        assert secret not in response.text

    async def test_wrong_types_are_400(self, client, admin):
        response = await client.post(
            "/api/v1/organizations/",
            headers=admin.headers,
            json={"name": ["not", "a", "string"], "settings": {"default_retention_days": "many"}},
        )
        body = assert_error(response, 400, "validation_error")
        assert {"name", "settings.default_retention_days"} <= body["details"].keys()

    async def test_malformed_json_is_400(self, client, admin):
        response = await client.post(
            "/api/v1/organizations/",
            headers={**admin.headers, "Content-Type": "application/json"},
            content=b'{"name": "unterminated',
        )
        body = assert_error(response, 400, "malformed_json")
        assert body["error"] == "Malformed JSON"

    async def test_non_object_json_is_400(self, client, admin):
        response = await client.post("/api/v1/organizations/", headers=admin.headers, json=[1, 2])
        assert_error(response, 400, "validation_error")

    async def test_unknown_fields_are_ignored(self, client, admin):
        response = await client.post(
            "/api/v1/organizations/",
            headers=admin.headers,
            json={"name": "Ignored Extras", "color": "blue", "settings": {"theme": "dark"}},
        )
        assert response.status_code == 201
        assert "color" not in response.json()
        assert "theme" not in response.json()["settings"]


class TestBodyLimit:
    @pytest.fixture
    def small_app(self, make_settings, db) -> FastAPI:
        from imas.api.app import create_app

        return create_app(make_settings(max_body_bytes=2048), db)

    async def test_declared_oversized_body_is_413_and_nothing_is_stored(self, small_app, admin, db):
        async with client_for(small_app) as http:
            response = await http.post(
                "/api/v1/organizations/",
                headers=admin.headers,
                json={"name": "Big", "slug": "too-big", "padding": "x" * 5000},
            )
            body = assert_error(response, 413, "payload_too_large")
            assert "2048" in body["message"]
            listed = await http.get("/api/v1/organizations/?search=too-big", headers=admin.headers)
            assert listed.json()["count"] == 0

    async def test_streamed_oversized_body_is_413(self, small_app, admin):
        async def chunks():
            for _ in range(10):
                yield b"x" * 1024

        async with client_for(small_app) as http:
            response = await http.post(
                "/api/v1/organizations/",
                headers={**admin.headers, "Content-Type": "application/json"},
                content=chunks(),
            )
        assert_error(response, 413, "payload_too_large")

    async def test_body_under_the_limit_is_accepted(self, small_app, admin):
        async with client_for(small_app) as http:
            response = await http.post(
                "/api/v1/organizations/", headers=admin.headers, json={"name": "Small"}
            )
        assert response.status_code == 201


class TestNulCharacters:
    """PostgreSQL refuses NUL in text: it is turned away as a 400 before it gets near a query."""

    async def test_in_the_query_string(self, client, admin):
        response = await client.get("/api/v1/users/?search=a%00b", headers=admin.headers)
        body = assert_error(response, 400, "bad_request")
        assert "NUL" in body["message"]

    async def test_as_a_json_escape(self, client, admin):
        response = await client.post(
            "/api/v1/organizations/",
            headers={**admin.headers, "Content-Type": "application/json"},
            content=b'{"name": "a\\u0000b"}',
        )
        assert_error(response, 400, "bad_request")

    async def test_as_a_raw_byte_in_a_form(self, client):
        response = await client.post(
            "/api/auth/login/",
            content=b"username=a%00&password=b\x00",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert_error(response, 400, "bad_request")


class TestUnexpectedErrors:
    async def test_500_has_the_shape_and_no_trace(self, app):
        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("secret internal detail")

        async with client_for(app) as http:
            response = await http.get("/boom")
        body = assert_error(response, 500, "internal_error")
        assert "secret internal detail" not in response.text
        assert "Traceback" not in response.text
        assert body["error"] == "Internal server error"


class TestRequestId:
    async def test_every_response_has_a_request_id(self, client):
        response = await client.get("/health")
        assert len(response.headers["X-Request-ID"]) >= 16

    async def test_a_sane_incoming_request_id_is_kept(self, client):
        response = await client.get("/nope", headers={"X-Request-ID": "trace-abc.123"})
        assert response.headers["X-Request-ID"] == "trace-abc.123"
        assert response.json()["request_id"] == "trace-abc.123"

    async def test_an_insane_incoming_request_id_is_replaced(self, client):
        response = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
        assert response.headers["X-Request-ID"] != "bad id\twith spaces"
