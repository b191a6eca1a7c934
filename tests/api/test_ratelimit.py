"""Rate limits: headers on every limited answer, 429 in the documented shape, shared via Redis."""

from __future__ import annotations

import os
import time

import pytest

from imas.api.app import create_app
from tests.conftest import client_for
from tests.factories import make_actor
from tests.helpers import assert_error

REDIS_URL = "redis://127.0.0.1:6379/15"


def assert_rate_headers(response, limit: int, remaining: int) -> None:
    assert response.headers["X-RateLimit-Limit"] == str(limit)
    assert response.headers["X-RateLimit-Remaining"] == str(remaining)
    reset = int(response.headers["X-RateLimit-Reset"])
    assert time.time() - 5 <= reset <= time.time() + 3600 + 5


class TestAuthLimit:
    async def test_sixth_login_attempt_in_a_minute_is_429(self, make_settings, db, admin):
        app = create_app(make_settings(rate_limit_auth="5/minute"), db)
        async with client_for(app) as http:
            for attempt in range(5):
                response = await http.post(
                    "/api/auth/token/", json={"username": admin.user.username, "password": "wrong"}
                )
                assert response.status_code == 401
                assert_rate_headers(response, 5, 4 - attempt)
            response = await http.post(
                "/api/auth/token/",
                json={"username": admin.user.username, "password": admin.password},
            )
        body = assert_error(response, 429, "rate_limited")
        assert body["error"] == "Rate limit exceeded"
        assert 1 <= body["retry_after"] <= 60
        assert response.headers["Retry-After"] == str(body["retry_after"])
        assert_rate_headers(response, 5, 0)

    async def test_login_refresh_and_token_share_the_auth_bucket(self, make_settings, db, admin):
        app = create_app(make_settings(rate_limit_auth="2/minute"), db)
        creds = {"username": admin.user.username, "password": admin.password}
        async with client_for(app) as http:
            assert (await http.post("/api/auth/login/", json=creds)).status_code == 200
            assert (await http.post("/api/auth/token/", json=creds)).status_code == 200
            assert (await http.post("/api/auth/login/", json=creds)).status_code == 429


class TestApiLimit:
    async def test_each_answer_counts_down_then_429(self, make_settings, db, admin):
        app = create_app(make_settings(rate_limit_api="3/hour"), db)
        async with client_for(app) as http:
            for remaining in (2, 1, 0):
                response = await http.get("/api/v1/users/me/", headers=admin.headers)
                assert response.status_code == 200
                assert_rate_headers(response, 3, remaining)
            response = await http.get("/api/v1/users/me/", headers=admin.headers)
        body = assert_error(response, 429, "rate_limited")
        assert body["retry_after"] > 60  # an hourly window
        assert_rate_headers(response, 3, 0)

    async def test_limits_are_per_credential(self, make_settings, db, admin):
        other = await make_actor(db, org=admin.org, role="viewer")
        app = create_app(make_settings(rate_limit_api="1/hour"), db)
        async with client_for(app) as http:
            assert (await http.get("/api/v1/users/me/", headers=admin.headers)).status_code == 200
            assert (await http.get("/api/v1/users/me/", headers=admin.headers)).status_code == 429
            assert (await http.get("/api/v1/users/me/", headers=other.headers)).status_code == 200

    async def test_failed_credentials_are_throttled_per_client(self, make_settings, db, admin):
        app = create_app(make_settings(rate_limit_anonymous="3/hour"), db)
        bad = {"Authorization": "Token " + "0" * 40}
        async with client_for(app) as http:
            for remaining in (2, 1, 0):
                response = await http.get("/api/v1/users/me/", headers=bad)
                assert_error(response, 401, "invalid_token")
                assert_rate_headers(response, 3, remaining)
            assert_error(await http.get("/api/v1/users/me/", headers=bad), 429, "rate_limited")
            # a valid credential is counted in its own bucket, not the client's
            assert (await http.get("/api/v1/users/me/", headers=admin.headers)).status_code == 200

    async def test_disabled_limits_send_no_headers(self, make_settings, db, admin):
        app = create_app(make_settings(rate_limit_enabled=False, rate_limit_api="1/hour"), db)
        async with client_for(app) as http:
            for _ in range(3):
                response = await http.get("/api/v1/users/me/", headers=admin.headers)
                assert response.status_code == 200
                assert "X-RateLimit-Limit" not in response.headers


@pytest.fixture
def redis_server() -> str:
    """Redis at 127.0.0.1:6379: required in CI, skipped on a bare laptop without it."""
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("CI must run Redis at 127.0.0.1:6379 (see .ci/run)")
        pytest.skip("no Redis at 127.0.0.1:6379")
    return REDIS_URL


class TestSharedLimits:
    async def test_two_replicas_share_one_counter_through_redis(
        self, make_settings, db, admin, redis_server
    ):
        settings = make_settings(redis_url=redis_server, rate_limit_api="2/hour")
        replica_a, replica_b = create_app(settings, db), create_app(settings, db)
        async with client_for(replica_a) as a, client_for(replica_b) as b:
            assert (await a.get("/api/v1/users/me/", headers=admin.headers)).status_code == 200
            second = await b.get("/api/v1/users/me/", headers=admin.headers)
            assert second.status_code == 200
            assert second.headers["X-RateLimit-Remaining"] == "0"
            assert (await a.get("/api/v1/users/me/", headers=admin.headers)).status_code == 429

    @pytest.mark.filterwarnings("ignore")
    async def test_an_unreachable_redis_fails_open(self, make_settings, db, admin):
        app = create_app(make_settings(redis_url="redis://127.0.0.1:1/0"), db)
        async with client_for(app) as http:
            response = await http.get("/api/v1/users/me/", headers=admin.headers)
        assert response.status_code == 200
        assert "X-RateLimit-Limit" not in response.headers
