"""`/api/v1/silences/`: responders create them; matchers are validated; tenancy holds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from imas.auth.scopes import INCIDENT_WRITE
from imas.db import utcnow
from tests.alerts.factories import make_silence
from tests.helpers import assert_error

PATH = "/api/v1/silences/"


def iso(delta: timedelta) -> str:
    return (utcnow() + delta).isoformat().replace("+00:00", "Z")


def body(**changes):
    return {
        "matchers": [{"name": "service", "op": "=~", "value": "api-.*"}],
        "ends_at": iso(timedelta(hours=2)),
        "comment": "deploying the gateway",
        **changes,
    }


class TestCreate:
    async def test_a_responder_silences(self, client, responder):
        response = await client.post(PATH, headers=responder.headers, json=body())
        assert response.status_code == 201, response.text
        made = response.json()
        assert made["state"] == "active"
        assert made["matchers"] == [{"name": "service", "op": "=~", "value": "api-.*"}]
        assert made["created_by"]["id"] == str(responder.user.id)
        assert made["comment"] == "deploying the gateway"

    async def test_a_maintenance_window_is_pending_until_it_starts(self, client, admin):
        response = await client.post(
            PATH,
            headers=admin.headers,
            json=body(starts_at=iso(timedelta(days=1)), ends_at=iso(timedelta(days=1, hours=2))),
        )
        assert response.json()["state"] == "pending"

    async def test_alertmanagers_matcher_form_is_accepted(self, client, admin):
        matchers = [
            {"name": "alertname", "value": "Disk.*", "isRegex": True, "isEqual": False},
            {"name": "env", "value": "prod", "isRegex": False},
        ]
        response = await client.post(PATH, headers=admin.headers, json=body(matchers=matchers))
        assert response.status_code == 201, response.text
        assert response.json()["matchers"] == [
            {"name": "alertname", "op": "!~", "value": "Disk.*"},
            {"name": "env", "op": "=", "value": "prod"},
        ]

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"matchers": [{"name": "service", "op": "=~", "value": "api-("}]}, "matchers.0"),
            ({"matchers": [{"name": "service", "op": "!~", "value": "*"}]}, "matchers.0"),
            ({"matchers": [{"name": "service", "op": "~", "value": "x"}]}, "matchers.0.op"),
            ({"matchers": [{"name": "", "value": "x"}]}, "matchers.0.name"),
            ({"matchers": []}, "matchers"),
            ({"ends_at": "2000-01-01T00:00:00Z"}, "ends_at"),
            ({"ends_at": None}, "ends_at"),
        ],
    )
    async def test_invalid_silences_are_400(self, client, admin, changes, field):
        response = await client.post(PATH, headers=admin.headers, json=body(**changes))
        err = assert_error(response, 400, "validation_error")
        assert field in err["details"], err

    async def test_a_bad_regex_says_so(self, client, admin):
        response = await client.post(
            PATH,
            headers=admin.headers,
            json=body(matchers=[{"name": "service", "op": "=~", "value": "api-("}]),
        )
        err = assert_error(response, 400, "validation_error")
        assert "not a valid regular expression" in err["message"]


class TestChange:
    async def test_expiring_a_silence_early(self, client, db, admin):
        silence = await make_silence(db, admin.org, admin.user, [{"name": "a", "value": "b"}])
        response = await client.patch(
            f"{PATH}{silence.id}/",
            headers=admin.headers,
            json={"starts_at": iso(-timedelta(hours=1)), "ends_at": iso(-timedelta(seconds=1))},
        )
        assert response.status_code == 200, response.text
        assert response.json()["state"] == "expired"

    async def test_an_end_before_the_start_is_400(self, client, db, admin):
        silence = await make_silence(db, admin.org, admin.user, [{"name": "a", "value": "b"}])
        response = await client.patch(
            f"{PATH}{silence.id}/",
            headers=admin.headers,
            json={"ends_at": iso(-timedelta(days=3))},
        )
        assert_error(response, 400, "validation_error")

    async def test_listing_by_state(self, client, db, admin):
        now = utcnow()
        await make_silence(db, admin.org, admin.user, [{"name": "a", "value": "now"}])
        await make_silence(
            db,
            admin.org,
            admin.user,
            [{"name": "a", "value": "later"}],
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
        )
        await make_silence(
            db,
            admin.org,
            admin.user,
            [{"name": "a", "value": "past"}],
            starts_at=now - timedelta(hours=2),
            ends_at=now - timedelta(hours=1),
        )
        for state, value in (("active", "now"), ("pending", "later"), ("expired", "past")):
            response = await client.get(PATH, headers=admin.headers, params={"state": state})
            [only] = response.json()["results"]
            assert only["matchers"][0]["value"] == value
            assert only["state"] == state
        assert (await client.get(PATH, headers=admin.headers)).json()["count"] == 3


class TestAccess:
    async def test_without_a_credential_is_401(self, client, db, admin):
        silence = await make_silence(db, admin.org, admin.user, [{"name": "a", "value": "b"}])
        item = f"{PATH}{silence.id}/"
        for method, path in [
            ("GET", PATH),
            ("POST", PATH),
            ("GET", item),
            ("PATCH", item),
            ("DELETE", item),
        ]:
            assert_error(await client.request(method, path, json={}), 401, "not_authenticated")

    async def test_viewers_read_and_cannot_silence(self, client, db, admin, viewer):
        silence = await make_silence(db, admin.org, admin.user, [{"name": "a", "value": "b"}])
        item = f"{PATH}{silence.id}/"
        assert (await client.get(item, headers=viewer.headers)).status_code == 200
        for method, path in [("POST", PATH), ("PATCH", item), ("DELETE", item)]:
            response = await client.request(method, path, headers=viewer.headers, json=body())
            err = assert_error(response, 403, "permission_denied")
            assert err["details"] == {"required_scope": INCIDENT_WRITE}
        assert (await client.get(item, headers=admin.headers)).json()["comment"] == "maintenance"

    async def test_another_organizations_silence_is_404(self, client, db, admin, outsider):
        silence = await make_silence(db, outsider.org, outsider.user, [{"name": "a", "value": "b"}])
        item = f"{PATH}{silence.id}/"
        for method in ("GET", "PATCH", "DELETE"):
            response = await client.request(method, item, headers=admin.headers, json={})
            assert_error(response, 404, "not_found")
        assert (await client.get(PATH, headers=admin.headers)).json()["count"] == 0
        assert (await client.get(item, headers=outsider.headers)).status_code == 200
