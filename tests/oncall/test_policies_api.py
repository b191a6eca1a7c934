"""`/api/v1/escalation-policies/` and attaching a policy to a service."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error
from tests.incidents.factories import make_service
from tests.oncall.conftest import api

POLICIES = "/api/v1/escalation-policies/"


def policy(*levels, **fields):
    return {"name": "Default", "repeat": 1, "levels": list(levels)} | fields


def level(*targets, delay=5):
    return {"delay_minutes": delay, "targets": list(targets)}


def user(actor):
    return {"type": "user", "id": str(actor.user.id)}


class TestCrud:
    async def test_create_read_update_delete(self, client, admin, alice):
        created = await api(
            client,
            admin,
            "POST",
            POLICIES,
            201,
            json=policy(
                level(user(alice)),
                level({"type": "channel", "kind": "email", "target": "ops@example.com"}),
            ),
        )
        assert created["repeat"] == 1
        assert created["levels"][0] == {"delay_minutes": 5, "targets": [user(alice)]}
        assert created["levels"][1]["targets"][0]["kind"] == "email"
        url = f"{POLICIES}{created['id']}/"
        assert (await api(client, admin, "GET", POLICIES, 200))["count"] == 1
        changed = await api(client, admin, "PATCH", url, 200, json={"repeat": 0})
        assert changed["repeat"] == 0
        assert len(changed["levels"]) == 2
        await api(client, admin, "DELETE", url, 204)
        assert_error(await client.get(url, headers=admin.headers), 404)

    async def test_a_service_points_at_a_policy(self, client, admin, alice, db):
        created = await api(client, admin, "POST", POLICIES, 201, json=policy(level(user(alice))))
        service = await make_service(db, admin.org)
        url = f"/api/v1/services/{service.id}/"
        changed = await api(
            client, admin, "PATCH", url, 200, json={"escalation_policy": created["id"]}
        )
        assert changed["escalation_policy"] == created["id"]
        await api(client, admin, "DELETE", f"{POLICIES}{created['id']}/", 204)
        assert (await api(client, admin, "GET", url, 200))["escalation_policy"] is None


class TestBadInput:
    @pytest.mark.parametrize(
        "levels",
        [
            [],
            [{"delay_minutes": 5, "targets": []}],
            [
                {
                    "delay_minutes": -1,
                    "targets": [{"type": "channel", "kind": "email", "target": "x"}],
                }
            ],
            [{"targets": [{"type": "pigeon", "id": "x"}]}],
            [{"targets": [{"type": "channel", "kind": "carrier-pigeon", "target": "roof"}]}],
        ],
    )
    async def test_bad_levels(self, client, admin, levels):
        response = await client.post(POLICIES, headers=admin.headers, json=policy(*levels))
        assert_error(response, 400, "validation_error")

    async def test_another_orgs_user_or_schedule(self, client, admin, outsider):
        response = await client.post(
            POLICIES, headers=admin.headers, json=policy(level(user(outsider)))
        )
        assert "levels.0.targets" in assert_error(response, 400)["details"]
        theirs = await api(
            client,
            outsider,
            "POST",
            "/api/v1/schedules/",
            201,
            json={
                "name": "Theirs",
                "time_zone": "UTC",
                "layers": [{"start_date": "2026-01-01", "participants": [str(outsider.user.id)]}],
            },
        )
        response = await client.post(
            POLICIES,
            headers=admin.headers,
            json=policy(level({"type": "schedule", "id": theirs["id"]})),
        )
        assert "levels.0.targets" in assert_error(response, 400)["details"]

    async def test_another_orgs_policy_on_a_service_is_a_400(self, client, admin, outsider, db):
        theirs = await api(
            client, outsider, "POST", POLICIES, 201, json=policy(level(user(outsider)))
        )
        service = await make_service(db, admin.org)
        response = await client.patch(
            f"/api/v1/services/{service.id}/",
            headers=admin.headers,
            json={"escalation_policy": theirs["id"]},
        )
        assert "escalation_policy" in assert_error(response, 400)["details"]


class TestTenancy:
    async def test_another_orgs_policy_is_a_404(self, client, admin, alice, outsider):
        created = await api(client, admin, "POST", POLICIES, 201, json=policy(level(user(alice))))
        url = f"{POLICIES}{created['id']}/"
        assert_error(await client.get(url, headers=outsider.headers), 404)
        assert_error(await client.delete(url, headers=outsider.headers), 404)
        assert (await api(client, outsider, "GET", POLICIES, 200))["count"] == 0
