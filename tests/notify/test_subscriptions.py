"""`/api/v1/webhook-subscriptions/`: seed 001's examples, the secret shown once and stored
encrypted, bad input refused in the error shape, the SSRF guard, scopes and tenancy."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from imas.audit.models import AuditEvent
from imas.db import acting_in
from imas.events import EventType
from imas.notify import crypto
from imas.notify.models import WebhookSubscription
from tests.factories import make_actor
from tests.helpers import assert_error
from tests.notify.conftest import SEED_SUBSCRIPTION

BASE = "/api/v1/webhook-subscriptions"
READ_KEYS = {
    "id",
    "name",
    "url",
    "events",
    "is_active",
    "created_at",
    "updated_at",
    "headers",
    "timeout_seconds",
    "max_retries",
}


async def create(client, actor, body=None):
    return await client.post(f"{BASE}/", headers=actor.headers, json=body or SEED_SUBSCRIPTION)


async def stored(db, org_id, sub_id) -> WebhookSubscription:
    async with db.read_sessions() as session:
        with acting_in(session, org_id):
            return (
                await session.scalars(
                    select(WebhookSubscription).where(
                        WebhookSubscription.id == uuid.UUID(str(sub_id))
                    )
                )
            ).one()


class TestCreate:
    async def test_the_seed_example_answers_as_the_seed_shows(self, client, admin):
        response = await create(client, admin)
        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == READ_KEYS | {"secret"}
        for key, value in SEED_SUBSCRIPTION.items():
            assert body[key] == value
        assert body["is_active"] is True
        assert body["created_at"].endswith("Z")
        assert body["created_at"] == body["updated_at"]

    async def test_defaults_are_the_seeds(self, client, admin):
        response = await create(
            client,
            admin,
            {"name": "x", "url": "https://hooks.example.com/in", "events": ["INCIDENT_CREATED"]},
        )
        body = response.json()
        assert (body["timeout_seconds"], body["max_retries"], body["headers"]) == (30, 3, {})
        assert body["is_active"] is True

    async def test_the_secret_is_stored_encrypted_never_in_clear(
        self, client, db, admin, notify_settings
    ):
        body = (await create(client, admin)).json()
        secret = body["secret"]
        assert secret.startswith("whsec_")
        assert len(secret) > 40
        row = await stored(db, admin.org.id, body["id"])
        assert secret not in row.secret_encrypted
        assert crypto.decrypt(row.secret_encrypted, notify_settings.secret_key) == secret
        async with db.read_sessions() as session:
            audit = (await session.scalars(select(AuditEvent))).all()
        assert audit, "creating a subscription is audited"
        assert all(secret not in str(e.after) for e in audit)

    async def test_each_subscription_gets_its_own_secret(self, client, admin):
        first = (await create(client, admin)).json()["secret"]
        second = (await create(client, admin)).json()["secret"]
        assert first != second

    async def test_duplicate_event_names_are_kept_once(self, client, admin):
        events = ["INCIDENT_CREATED", "INCIDENT_CREATED", "INCIDENT_RESOLVED"]
        body = (await create(client, admin, SEED_SUBSCRIPTION | {"events": events})).json()
        assert body["events"] == ["INCIDENT_CREATED", "INCIDENT_RESOLVED"]


class TestSecretShownOnce:
    async def test_no_other_answer_has_the_secret(self, client, admin):
        created = (await create(client, admin)).json()
        url = f"{BASE}/{created['id']}/"
        answers = [
            await client.get(url, headers=admin.headers),
            await client.put(url, headers=admin.headers, json={"name": "renamed"}),
            await client.patch(url, headers=admin.headers, json={"is_active": False}),
        ]
        for answer in answers:
            assert answer.status_code == 200, answer.text
            assert set(answer.json()) == READ_KEYS
            assert created["secret"] not in answer.text
        listed = await client.get(f"{BASE}/", headers=admin.headers)
        assert set(listed.json()["results"][0]) == READ_KEYS
        assert created["secret"] not in listed.text


class TestReadAndList:
    async def test_get_returns_what_was_created(self, client, admin):
        created = (await create(client, admin)).json()
        got = (await client.get(f"{BASE}/{created['id']}/", headers=admin.headers)).json()
        assert got == {k: v for k, v in created.items() if k != "secret"}

    async def test_list_is_paginated_newest_first(self, client, admin):
        ids = [(await create(client, admin)).json()["id"] for _ in range(3)]
        page = (await client.get(f"{BASE}/?page_size=2", headers=admin.headers)).json()
        assert page["count"] == 3
        assert [s["id"] for s in page["results"]] == ids[::-1][:2]
        assert page["next"] is not None
        assert page["previous"] is None
        second = (await client.get(page["next"], headers=admin.headers)).json()
        assert [s["id"] for s in second["results"]] == [ids[0]]

    async def test_filter_by_active_and_search(self, client, admin):
        await create(client, admin, SEED_SUBSCRIPTION | {"name": "Pager bridge"})
        await create(client, admin, SEED_SUBSCRIPTION | {"name": "Old", "is_active": False})
        inactive = (await client.get(f"{BASE}/?is_active=false", headers=admin.headers)).json()
        assert [s["name"] for s in inactive["results"]] == ["Old"]
        found = (await client.get(f"{BASE}/?search=pager", headers=admin.headers)).json()
        assert [s["name"] for s in found["results"]] == ["Pager bridge"]

    async def test_the_event_catalogue_lists_the_seed_names(self, client, admin):
        body = (await client.get(f"{BASE}/events/", headers=admin.headers)).json()
        names = [e["name"] for e in body["results"]]
        assert body["count"] == len(names) == len(EventType)
        for seed_name in (
            "INCIDENT_CREATED",
            "INCIDENT_UPDATED",
            "INCIDENT_ACKNOWLEDGED",
            "INCIDENT_ASSIGNED",
            "INCIDENT_RESOLVED",
        ):
            assert seed_name in names
        assert all(e["description"] and e["domain"] for e in body["results"])


class TestUpdate:
    async def test_the_seed_put_changes_only_what_it_sends(self, client, admin):
        created = (await create(client, admin)).json()
        seed_put = {
            "name": "Updated ITSM Integration",
            "events": ["INCIDENT_CREATED", "INCIDENT_UPDATED", "INCIDENT_RESOLVED"],
            "timeout_seconds": 45,
        }
        response = await client.put(
            f"{BASE}/{created['id']}/", headers=admin.headers, json=seed_put
        )
        assert response.status_code == 200, response.text
        body = response.json()
        for key, value in seed_put.items():
            assert body[key] == value
        assert body["url"] == created["url"]
        assert body["headers"] == created["headers"]
        assert body["max_retries"] == created["max_retries"]
        assert body["updated_at"] >= created["updated_at"]

    async def test_patch_deactivates(self, client, admin):
        created = (await create(client, admin)).json()
        response = await client.patch(
            f"{BASE}/{created['id']}/", headers=admin.headers, json={"is_active": False}
        )
        assert response.json()["is_active"] is False

    async def test_the_secret_survives_an_update(self, client, db, admin, notify_settings):
        created = (await create(client, admin)).json()
        await client.patch(
            f"{BASE}/{created['id']}/", headers=admin.headers, json={"url": "https://b.example/x"}
        )
        row = await stored(db, admin.org.id, created["id"])
        assert crypto.decrypt(row.secret_encrypted, notify_settings.secret_key) == created["secret"]

    @pytest.mark.parametrize("field", ["name", "url", "events", "timeout_seconds", "is_active"])
    async def test_null_is_refused(self, client, admin, field):
        created = (await create(client, admin)).json()
        response = await client.patch(
            f"{BASE}/{created['id']}/", headers=admin.headers, json={field: None}
        )
        body = assert_error(response, 400, "validation_error")
        assert field in body["details"]


class TestDelete:
    async def test_delete_then_gone(self, client, admin):
        created = (await create(client, admin)).json()
        response = await client.delete(f"{BASE}/{created['id']}/", headers=admin.headers)
        assert response.status_code == 204
        assert_error(
            await client.get(f"{BASE}/{created['id']}/", headers=admin.headers), 404, "not_found"
        )
        assert_error(
            await client.delete(f"{BASE}/{created['id']}/", headers=admin.headers),
            404,
            "not_found",
        )


BAD_INPUT = [
    ("url", {"url": "not-a-url"}),
    ("url", {"url": "ftp://files.example.com/in"}),
    ("url", {"url": "https://"}),
    ("url", {"url": "https://example.com:99999/in"}),
    ("url", {"url": ""}),
    ("events", {"events": ["INCIDENT_EXPLODED"]}),
    ("events", {"events": []}),
    ("events", {"events": "INCIDENT_CREATED"}),
    ("timeout_seconds", {"timeout_seconds": 0}),
    ("timeout_seconds", {"timeout_seconds": 61}),
    ("max_retries", {"max_retries": -1}),
    ("max_retries", {"max_retries": 21}),
    ("name", {"name": ""}),
    ("headers", {"headers": {"X-Signature-256": "sha256=forged"}}),
    ("headers", {"headers": {"webhook-id": "x"}}),
    ("headers", {"headers": {"X-Evil": "a\r\nInjected: yes"}}),
    ("headers", {"headers": {"bad name": "x"}}),
]


class TestBadInput:
    @pytest.mark.parametrize(("field", "change"), BAD_INPUT)
    async def test_create_refuses_with_400(self, client, admin, field, change):
        response = await create(client, admin, SEED_SUBSCRIPTION | change)
        body = assert_error(response, 400, "validation_error")
        assert any(key.startswith(field) for key in body["details"]), body
        assert field in body["message"]

    async def test_update_refuses_the_same_with_400_and_changes_nothing(self, client, admin):
        created = (await create(client, admin)).json()
        for field, change in BAD_INPUT:
            for method in ("PUT", "PATCH"):
                response = await client.request(
                    method, f"{BASE}/{created['id']}/", headers=admin.headers, json=change
                )
                body = assert_error(response, 400, "validation_error")
                assert any(key.startswith(field) for key in body["details"]), body
        after = (await client.get(f"{BASE}/{created['id']}/", headers=admin.headers)).json()
        assert after == {k: v for k, v in created.items() if k != "secret"}

    async def test_an_unknown_event_is_named_with_the_known_ones(self, client, admin):
        response = await create(client, admin, SEED_SUBSCRIPTION | {"events": ["INCIDENT_BOOM"]})
        body = assert_error(response, 400, "validation_error")
        assert "INCIDENT_BOOM" in body["message"]
        assert "INCIDENT_CREATED" in body["message"]

    async def test_a_delivery_filter_must_be_a_known_status(self, client, admin):
        created = (await create(client, admin)).json()
        response = await client.get(
            f"{BASE}/{created['id']}/deliveries/?status=lost", headers=admin.headers
        )
        assert_error(response, 400, "validation_error")


PRIVATE_URLS = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://api.localhost/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.5/hook",
    "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://224.0.0.1/hook",
]


class TestSsrfGuard:
    async def test_a_private_address_is_refused(self, strict_client, admin):
        for url in PRIVATE_URLS:
            response = await create(strict_client, admin, SEED_SUBSCRIPTION | {"url": url})
            body = assert_error(response, 400, "validation_error")
            assert "url" in body["details"], url
            assert "IMAS_WEBHOOK_ALLOW_PRIVATE" in body["message"]
        listed = await strict_client.get(f"{BASE}/", headers=admin.headers)
        assert listed.json()["count"] == 0

    async def test_moving_to_a_private_address_is_refused(self, strict_client, admin):
        created = (await create(strict_client, admin)).json()
        response = await strict_client.patch(
            f"{BASE}/{created['id']}/",
            headers=admin.headers,
            json={"url": "http://169.254.169.254/"},
        )
        assert_error(response, 400, "validation_error")

    async def test_a_public_address_is_accepted(self, strict_client, admin):
        response = await create(
            strict_client, admin, SEED_SUBSCRIPTION | {"url": "https://93.184.216.34/in"}
        )
        assert response.status_code == 201, response.text

    async def test_allowed_by_the_setting(self, client, admin):
        response = await create(client, admin, SEED_SUBSCRIPTION | {"url": PRIVATE_URLS[0]})
        assert response.status_code == 201, response.text


SUB_ROUTES = [
    ("GET", "/"),
    ("PUT", "/"),
    ("PATCH", "/"),
    ("DELETE", "/"),
    ("GET", "/deliveries/"),
    ("GET", "/stats/"),
]


class TestAccess:
    async def test_no_credential_is_401(self, client):
        assert_error(await client.get(f"{BASE}/"), 401, "not_authenticated")
        assert_error(await client.get(f"{BASE}/events/"), 401, "not_authenticated")

    async def test_a_viewer_reads_but_cannot_write(self, client, db, admin):
        created = (await create(client, admin)).json()
        viewer = await make_actor(db, org=admin.org, role="viewer")
        for suffix in ("/", "/deliveries/", "/stats/"):
            answer = await client.get(f"{BASE}/{created['id']}{suffix}", headers=viewer.headers)
            assert answer.status_code == 200, answer.text
        assert (await client.get(f"{BASE}/", headers=viewer.headers)).status_code == 200
        assert (await client.get(f"{BASE}/events/", headers=viewer.headers)).status_code == 200
        assert_error(await create(client, viewer), 403, "permission_denied")
        for method in ("PUT", "PATCH", "DELETE"):
            answer = await client.request(
                method, f"{BASE}/{created['id']}/", headers=viewer.headers, json={"name": "x"}
            )
            assert_error(answer, 403, "permission_denied")

    async def test_a_responder_has_no_webhook_write(self, client, db, admin):
        responder = await make_actor(db, org=admin.org, role="responder")
        assert_error(await create(client, responder), 403, "permission_denied")

    async def test_a_token_without_webhook_read_is_403(self, client, db, admin):
        created = (await create(client, admin)).json()
        limited = await make_actor(db, org=admin.org, role="admin", scopes=["incident:read"])
        assert_error(await client.get(f"{BASE}/", headers=limited.headers), 403)
        for method, suffix in SUB_ROUTES:
            answer = await client.request(
                method, f"{BASE}/{created['id']}{suffix}", headers=limited.headers, json={}
            )
            assert_error(answer, 403, "permission_denied")

    async def test_a_token_with_webhook_write_only_can_write(self, client, db, admin):
        writer = await make_actor(db, org=admin.org, role="admin", scopes=["webhook:write"])
        assert (await create(client, writer)).status_code == 201
        assert_error(await client.get(f"{BASE}/", headers=writer.headers), 403)


class TestTenancy:
    @pytest.mark.parametrize(("method", "suffix"), SUB_ROUTES)
    async def test_another_orgs_subscription_is_404(self, client, admin, outsider, method, suffix):
        theirs = (await create(client, outsider)).json()
        answer = await client.request(
            method, f"{BASE}/{theirs['id']}{suffix}", headers=admin.headers, json={"name": "x"}
        )
        assert_error(answer, 404, "not_found")

    async def test_their_subscriptions_are_not_listed_nor_changed(self, client, admin, outsider):
        theirs = (await create(client, outsider)).json()
        assert (await client.get(f"{BASE}/", headers=admin.headers)).json()["count"] == 0
        for method, suffix in SUB_ROUTES:
            await client.request(
                method, f"{BASE}/{theirs['id']}{suffix}", headers=admin.headers, json={"name": "x"}
            )
        still = (await client.get(f"{BASE}/{theirs['id']}/", headers=outsider.headers)).json()
        assert still["name"] == SEED_SUBSCRIPTION["name"]

    async def test_a_malformed_id_is_refused_in_the_error_shape(self, client, admin):
        answer = await client.get(f"{BASE}/not-a-uuid/", headers=admin.headers)
        assert_error(answer, 400, "validation_error")
