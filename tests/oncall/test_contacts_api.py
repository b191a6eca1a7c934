"""`/api/v1/users/me/contact-methods/` and `/notification-rules/`: each person their own."""

from __future__ import annotations

from tests.helpers import assert_error
from tests.oncall.conftest import api

METHODS = "/api/v1/users/me/contact-methods/"
RULES = "/api/v1/users/me/notification-rules/"


class TestContactMethods:
    async def test_create_list_update_delete(self, client, alice):
        created = await api(
            client,
            alice,
            "POST",
            METHODS,
            201,
            json={"kind": "email", "target": "Alice@Example.com", "label": "work"},
        )
        assert created["kind"] == "email"
        url = f"{METHODS}{created['id']}/"
        changed = await api(client, alice, "PATCH", url, 200, json={"label": "home"})
        assert changed["label"] == "home"
        assert (await api(client, alice, "GET", METHODS, 200))["count"] == 1
        await api(client, alice, "DELETE", url, 204)
        assert (await api(client, alice, "GET", METHODS, 200))["count"] == 0

    async def test_bad_kinds_and_targets_are_400s(self, client, alice):
        for data in (
            {"kind": "fax", "target": "+33 1 23"},
            {"kind": "email", "target": "not an address"},
            {"kind": "webhook", "target": "ftp://example.com/x"},
        ):
            response = await client.post(METHODS, headers=alice.headers, json=data)
            assert_error(response, 400, "validation_error")

    async def test_the_same_method_twice_is_a_409(self, client, alice):
        data = {"kind": "webhook", "target": "https://hooks.example.com/alice"}
        await api(client, alice, "POST", METHODS, 201, json=data)
        assert_error(await client.post(METHODS, headers=alice.headers, json=data), 409)

    async def test_someone_elses_method_is_a_404(self, client, alice, bob):
        created = await api(
            client, alice, "POST", METHODS, 201, json={"kind": "email", "target": "a@example.com"}
        )
        url = f"{METHODS}{created['id']}/"
        assert_error(await client.get(url, headers=bob.headers), 404)
        assert_error(await client.delete(url, headers=bob.headers), 404)
        assert (await api(client, bob, "GET", METHODS, 200))["count"] == 0


class TestNotificationRules:
    async def test_rules_point_at_your_own_methods(self, client, alice, bob):
        method = await api(
            client, alice, "POST", METHODS, 201, json={"kind": "email", "target": "a@example.com"}
        )
        rule = await api(
            client,
            alice,
            "POST",
            RULES,
            201,
            json={
                "contact_method": method["id"],
                "severities": ["SEV1_CRITICAL", "SEV2_HIGH"],
                "delay_minutes": 5,
            },
        )
        assert rule["severities"] == ["SEV1_CRITICAL", "SEV2_HIGH"]
        changed = await api(
            client, alice, "PATCH", f"{RULES}{rule['id']}/", 200, json={"delay_minutes": 0}
        )
        assert changed["delay_minutes"] == 0
        response = await client.post(
            RULES, headers=bob.headers, json={"contact_method": method["id"]}
        )
        assert "contact_method" in assert_error(response, 400)["details"]
        assert_error(await client.get(f"{RULES}{rule['id']}/", headers=bob.headers), 404)
        await api(client, alice, "DELETE", f"{METHODS}{method['id']}/", 204)
        assert (await api(client, alice, "GET", RULES, 200))["count"] == 0

    async def test_a_bad_severity_is_a_400(self, client, alice):
        method = await api(
            client, alice, "POST", METHODS, 201, json={"kind": "email", "target": "a@example.com"}
        )
        response = await client.post(
            RULES, headers=alice.headers, json={"contact_method": method["id"], "severities": ["X"]}
        )
        assert_error(response, 400, "validation_error")
