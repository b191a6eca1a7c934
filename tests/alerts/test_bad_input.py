"""Bad posts get a clear 4xx and leave nothing behind; nothing is answered 2xx uncommitted."""

from __future__ import annotations

import copy

import pytest

from tests.alerts.factories import make_integration
from tests.alerts.helpers import counts, post
from tests.alerts.payloads import SEED_ALERTMANAGER, alertmanager, am_alert
from tests.helpers import assert_error


async def raw_post(client, hook, content: bytes, headers=None):
    return await client.post(
        hook.url,
        content=content,
        headers={"Content-Type": "application/json", **hook.headers, **(headers or {})},
    )


class TestRefused:
    @pytest.mark.parametrize(
        "content", [b'{"alerts": [', b"", b"   ", b"\xff\xfe", b"{'single': 'quotes'}"]
    )
    async def test_malformed_json_is_400(self, client, db, am, content):
        body = assert_error(await raw_post(client, am, content), 400, "malformed_json")
        assert "JSON" in body["message"]
        assert await counts(db) == (0, 0)

    @pytest.mark.parametrize(
        "payload",
        [
            {"hello": "world"},
            [],
            "firing",
            {"alerts": [{"status": "firing", "labels": {"alertname": "X"}, "startsAt": "soon"}]},
        ],
    )
    async def test_the_wrong_shape_is_400_and_names_the_problem(self, client, db, am, payload):
        response = await post(client, am, payload, expect=None)
        body = assert_error(response, 400, "invalid_payload")
        assert body["error"] == "Invalid payload"
        assert "none of it was stored" in body["message"]
        assert body["details"]
        assert await counts(db) == (0, 0)

    async def test_one_bad_alert_among_good_ones_rejects_the_post_whole(self, client, db, am):
        payload = alertmanager(am_alert(instance="1"), am_alert(instance="2"), am_alert("X"))
        payload["alerts"][2]["status"] = "on fire"
        response = await post(client, am, payload, expect=None)
        body = assert_error(response, 400, "invalid_payload")
        assert list(body["details"]) == ["alerts.2.status"]
        assert await counts(db) == (0, 0)

    async def test_without_a_key_is_401(self, client, db, am):
        response = await client.post(am.url, json=SEED_ALERTMANAGER)
        body = assert_error(response, 401, "invalid_integration_key")
        assert body["details"] == {"reason": "missing key"}
        assert await counts(db) == (0, 0)

    @pytest.mark.parametrize(
        "headers",
        [
            {"Authorization": "Bearer imas_not-a-key"},
            {"Authorization": "Token imas_not-a-key"},
        ],
    )
    async def test_an_unknown_key_is_401(self, client, db, am, headers):
        response = await client.post(am.url, json=SEED_ALERTMANAGER, headers=headers)
        body = assert_error(response, 401, "invalid_integration_key")
        assert body["details"] == {"reason": "unknown key"}
        assert await counts(db) == (0, 0)

    async def test_an_unknown_token_parameter_is_401(self, client, db, am):
        response = await client.post(f"{am.url}?token=imas_wrong", json=SEED_ALERTMANAGER)
        assert_error(response, 401, "invalid_integration_key")

    async def test_a_users_api_token_is_no_integration_key(self, client, db, admin, am):
        response = await client.post(am.url, json=SEED_ALERTMANAGER, headers=admin.headers)
        assert_error(response, 401, "invalid_integration_key")

    async def test_a_disabled_integration_is_403(self, client, db, admin, api_gateway):
        hook = await make_integration(db, admin.org, is_active=False)
        response = await post(client, hook, SEED_ALERTMANAGER, expect=None)
        body = assert_error(response, 403, "integration_disabled")
        assert hook.integration.name in body["message"]
        assert await counts(db) == (0, 0)

    async def test_the_wrong_receiver_is_400(self, client, db, am):
        response = await client.post(
            "/api/v1/webhooks/grafana/", json=SEED_ALERTMANAGER, headers=am.headers
        )
        body = assert_error(response, 400, "integration_kind_mismatch")
        assert "/api/v1/webhooks/alertmanager/" in body["message"]
        assert await counts(db) == (0, 0)

    async def test_an_unknown_source_is_404(self, client, am):
        response = await client.post(
            "/api/v1/webhooks/nagios/", json=SEED_ALERTMANAGER, headers=am.headers
        )
        assert_error(response, 404, "not_found")

    async def test_a_body_over_the_limit_is_413(self, client, db, am):
        payload = copy.deepcopy(SEED_ALERTMANAGER)
        payload["alerts"][0]["annotations"]["description"] = "x" * (1024 * 1024)
        response = await post(client, am, payload, expect=None)
        assert_error(response, 413, "payload_too_large")
        assert await counts(db) == (0, 0)

    async def test_a_rotated_key_stops_working(self, client, db, admin, am):
        rotated = await client.post(
            f"/api/v1/integrations/{am.id}/rotate-key/", headers=admin.headers
        )
        assert rotated.status_code == 200, rotated.text
        assert_error(
            await post(client, am, SEED_ALERTMANAGER, expect=None), 401, "invalid_integration_key"
        )
        fresh = {"Authorization": f"Bearer {rotated.json()['key']}"}
        response = await client.post(am.url, json=SEED_ALERTMANAGER, headers=fresh)
        assert response.status_code == 200, response.text


class TestRateLimit:
    async def test_each_integration_has_its_own_webhooks_budget(
        self, make_settings, db, admin, api_gateway
    ):
        from imas.api.app import create_app
        from tests.conftest import client_for

        app = create_app(make_settings(rate_limit_webhooks="2/minute"), db)
        one = await make_integration(db, admin.org)
        two = await make_integration(db, admin.org)
        async with client_for(app) as client:
            for _ in range(2):
                response = await post(client, one, SEED_ALERTMANAGER)
                assert response.headers["X-RateLimit-Limit"] == "2"
            refused = await post(client, one, SEED_ALERTMANAGER, expect=None)
            body = assert_error(refused, 429, "rate_limited")
            assert body["retry_after"] >= 1
            assert (await post(client, two, SEED_ALERTMANAGER)).status_code == 200

    async def test_guessing_keys_is_throttled_per_address(self, make_settings, db, am):
        from imas.api.app import create_app
        from tests.conftest import client_for

        app = create_app(make_settings(rate_limit_anonymous="3/hour"), db)
        async with client_for(app) as client:
            wrong = {"Authorization": "Bearer imas_guess"}
            codes = [
                (await client.post(am.url, json={}, headers=wrong)).status_code for _ in range(4)
            ]
        assert codes == [401, 401, 401, 429]


class TestAtomicity:
    async def test_a_failure_mid_post_leaves_nothing(self, client, db, admin, am, monkeypatch):
        """The second alert fails inside the intake: the first one's alert and incident are
        rolled back with it, and the answer is an error, never a 2xx."""
        from imas.alerts.service import intake

        original = intake._new

        async def failing(intake_, incoming):
            if incoming.title == "B":
                raise RuntimeError("disk on fire")
            return await original(intake_, incoming)

        monkeypatch.setattr(intake, "_new", failing)
        payload = alertmanager(am_alert("A", summary="A"), am_alert("B", summary="B"))
        response = await post(client, am, payload, expect=None)
        assert_error(response, 500, "internal_error")
        assert await counts(db) == (0, 0)


class TestNulCharacters:
    """A tool's NUL characters are replaced, not refused: a refusal would be retried forever."""

    async def test_a_nul_in_alert_text_is_stored_as_a_replacement_character(
        self, client, db, am, admin
    ):
        payload = alertmanager(am_alert(instance="1", summary="disk\u0000full"))
        response = await post(client, am, payload)
        assert response.json()["received"] == 1
        listed = await client.get("/api/v1/alerts/", headers=admin.headers)
        [alert] = listed.json()["results"]
        assert alert["title"] == "disk\ufffdfull"

    async def test_elsewhere_a_nul_is_still_refused(self, client, admin):
        response = await client.post(
            "/api/v1/silences/",
            headers={**admin.headers, "Content-Type": "application/json"},
            content=b'{"comment": "a\\u0000b"}',
        )
        assert_error(response, 400, "bad_request")
