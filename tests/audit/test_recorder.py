"""Every mutating request leaves the audit rows a user expects: who, what, when, which object,
before and after; written in the request's transaction, so a failed request leaves none."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from imas.catalog.models import Service
from imas.db import Database
from imas.incidents.models import Incident
from imas.orgs.models import User
from tests.audit.helpers import TRAIL, changes, only, trail, when
from tests.factories import Actor

NEW_PASSWORD = "a-brand-new-password"


def assert_by(event: dict, actor: Actor, response: httpx.Response) -> None:
    """The event names the caller and the request that made it."""
    assert event["actor"] == {"id": str(actor.user.id), "username": actor.user.username}
    assert event["user_name"] == actor.user.username
    assert event["request_id"] == response.headers["X-Request-ID"]


async def password_hash(db: Database, user_id: str) -> str:
    async with db.transaction(write=False) as session:
        value = await session.scalar(
            select(User.password_hash).where(User.id == uuid.UUID(user_id))
        )
    assert value
    return value


async def everything_as_text(client: httpx.AsyncClient, actor: Actor) -> str:
    """The whole trail, as JSON and as CSV."""
    as_json = await client.get(TRAIL, headers=actor.headers, params={"page_size": 100})
    as_csv = await client.get(TRAIL, headers=actor.headers, params={"format": "csv"})
    assert as_json.status_code == as_csv.status_code == 200
    return as_json.text + as_csv.text


async def new_user(client: httpx.AsyncClient, admin: Actor, **fields: object) -> dict:
    body = {"username": "bob", "password": NEW_PASSWORD, "role": "responder", **fields}
    response = await client.post("/api/v1/users/", headers=admin.headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


class TestOrganizations:
    async def test_creating_one_is_recorded_in_the_new_organization(self, client, admin):
        response = await client.post(
            "/api/v1/organizations/",
            headers=admin.headers,
            json={"name": "Payments", "slug": "payments-audit"},
        )
        assert response.status_code == 201, response.text
        org = response.json()
        rid = response.headers["X-Request-ID"]
        token = await client.post(
            "/api/auth/token/",
            json={
                "username": admin.user.username,
                "password": admin.password,
                "organization": org["slug"],
            },
        )
        headers = {"Authorization": f"Token {token.json()['token']}"}

        events = await trail(client, headers, request_id=rid)

        assert sorted(e["action"] for e in events) == ["membership.created", "organization.created"]
        created = only(events, "organization.created")
        assert created["object_type"] == "organization"
        assert created["object_id"] == org["id"]
        assert created["before"] is None
        assert created["after"]["name"] == "Payments"
        assert created["after"]["slug"] == "payments-audit"
        assert_by(created, admin, response)
        membership = only(events, "membership.created")
        assert membership["after"]["user_id"] == str(admin.user.id)
        assert membership["after"]["role"] == "admin"
        assert await trail(client, admin.headers, request_id=rid) == []

    async def test_renaming_records_old_and_new_name(self, client, admin):
        request = client.patch(
            f"/api/v1/organizations/{admin.org.id}/",
            headers=admin.headers,
            json={"name": "Renamed"},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 200, response.text
        assert [e["action"] for e in added] == ["organization.updated"]
        assert added[0]["before"] == {"name": admin.org.name}
        assert added[0]["after"] == {"name": "Renamed"}
        assert added[0]["object_id"] == str(admin.org.id)
        assert_by(added[0], admin, response)


class TestUsers:
    async def test_creating_one_records_the_user_and_the_membership(self, client, admin):
        started = datetime.now(UTC)
        request = client.post(
            "/api/v1/users/",
            headers=admin.headers,
            json={"username": "bob", "password": NEW_PASSWORD, "role": "responder"},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 201, response.text
        user_id = response.json()["id"]
        assert sorted(e["action"] for e in added) == ["membership.created", "user.created"]
        user = only(added, "user.created")
        assert user["object_type"] == "user"
        assert user["object_id"] == user_id
        assert user["incident_id"] is None
        assert user["before"] is None
        assert user["after"]["username"] == "bob"
        assert user["after"]["password_hash"] == "[redacted]"
        assert started <= when(user["timestamp"]) <= datetime.now(UTC)
        assert_by(user, admin, response)
        membership = only(added, "membership.created")
        assert membership["after"]["user_id"] == user_id
        assert membership["after"]["role"] == "responder"
        assert_by(membership, admin, response)

    async def test_neither_the_password_nor_its_hash_is_ever_copied(self, client, db, admin):
        user = await new_user(client, admin)
        response = await client.patch(
            f"/api/v1/users/{user['id']}/",
            headers=admin.headers,
            json={"password": "yet-another-password"},
        )
        assert response.status_code == 200, response.text
        text = await everything_as_text(client, admin)

        assert "[redacted]" in text
        for secret in (NEW_PASSWORD, "yet-another-password", await password_hash(db, user["id"])):
            assert secret not in text
        assert "$argon2" not in text

    async def test_updating_one_records_each_changed_field(self, client, admin):
        user = await new_user(client, admin)
        request = client.patch(
            f"/api/v1/users/{user['id']}/",
            headers=admin.headers,
            json={"role": "viewer", "name": "Bob Smith", "password": "yet-another-password"},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 200, response.text
        assert sorted(e["action"] for e in added) == ["membership.updated", "user.updated"]
        membership = only(added, "membership.updated")
        assert membership["before"] == {"role": "responder"}
        assert membership["after"] == {"role": "viewer"}
        account = only(added, "user.updated")
        assert account["object_id"] == user["id"]
        assert account["before"] == {"name": "", "password_hash": "[redacted]"}
        assert account["after"] == {"name": "Bob Smith", "password_hash": "[redacted]"}
        assert "responder" in membership["details"]
        assert "viewer" in membership["details"]
        assert_by(account, admin, response)

    async def test_removing_one_records_the_membership_it_ends(self, client, admin):
        user = await new_user(client, admin)
        request = client.delete(f"/api/v1/users/{user['id']}/", headers=admin.headers)
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 204, response.text
        assert [e["action"] for e in added] == ["membership.deleted"]
        assert added[0]["before"]["user_id"] == user["id"]
        assert added[0]["before"]["role"] == "responder"
        assert added[0]["after"] is None
        assert_by(added[0], admin, response)


async def obtain_token(client: httpx.AsyncClient, actor: Actor) -> httpx.Response:
    return await client.post(
        "/api/auth/token/",
        json={"username": actor.user.username, "password": actor.password, "name": "ci"},
    )


class TestApiTokens:
    async def test_creating_one_records_it_without_the_secret(self, client, admin):
        response, added = await changes(client, admin.headers, obtain_token(client, admin))

        assert response.status_code == 200, response.text
        token = response.json()
        assert [e["action"] for e in added] == ["api_token.created"]
        event = added[0]
        assert event["object_id"] == token["token_id"]
        assert event["after"]["token_hash"] == "[redacted]"
        assert event["after"]["prefix"] == token["token"][:8]
        assert event["after"]["user_id"] == str(admin.user.id)
        assert event["after"]["name"] == "ci"
        text = await everything_as_text(client, admin)
        assert token["token"] not in text
        assert hashlib.sha256(token["token"].encode()).hexdigest() not in text

    async def test_creating_one_names_the_user_who_asked(self, client, admin):
        response, added = await changes(client, admin.headers, obtain_token(client, admin))

        assert_by(only(added, "api_token.created"), admin, response)

    async def test_revoking_the_token_you_call_with(self, client, admin):
        token = (await obtain_token(client, admin)).json()
        request = client.post(
            "/api/auth/token/revoke/", headers={"Authorization": f"Token {token['token']}"}
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 200, response.text
        assert [e["action"] for e in added] == ["api_token.revoked"]
        assert added[0]["object_id"] == token["token_id"]
        assert added[0]["before"] == {"revoked_at": None}
        assert added[0]["after"]["revoked_at"] is not None
        assert list(added[0]["after"]) == ["revoked_at"]
        assert_by(added[0], admin, response)

    async def test_revoking_one_by_id(self, client, admin):
        token = (await obtain_token(client, admin)).json()
        request = client.delete(f"/api/v1/tokens/{token['token_id']}/", headers=admin.headers)
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 204, response.text
        assert [e["action"] for e in added] == ["api_token.revoked"]
        assert added[0]["object_id"] == token["token_id"]
        assert added[0]["after"]["revoked_at"] is not None
        assert_by(added[0], admin, response)


class TestIncidents:
    async def test_opening_one(self, client, admin, service: Service):
        request = client.post(
            "/api/v1/incidents/",
            headers=admin.headers,
            json={"title": "Payments failing", "service": str(service.id), "severity": "SEV2_HIGH"},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 201, response.text
        created = response.json()
        assert [e["action"] for e in added] == ["incident.created"]
        event = added[0]
        assert event["object_type"] == "incident"
        assert event["object_id"] == event["incident_id"] == created["id"]
        assert event["before"] is None
        assert event["after"]["status"] == "TRIGGERED"
        assert event["after"]["severity"] == "SEV2_HIGH"
        assert event["after"]["title"] == "Payments failing"
        assert event["after"]["short_id"] == created["short_id"]
        assert_by(event, admin, response)

    async def test_acknowledging_one(self, client, admin, incident: Incident):
        started = datetime.now(UTC)
        request = client.post(
            f"/api/v1/incidents/{incident.short_id}/acknowledge/",
            headers=admin.headers,
            json={"message": "on it"},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 200, response.text
        assert [e["action"] for e in added] == ["incident.acknowledged"]
        event = added[0]
        assert event["object_id"] == event["incident_id"] == str(incident.id)
        assert event["before"]["status"] == "TRIGGERED"
        assert event["after"]["status"] == "ACKNOWLEDGED"
        assert event["before"]["acknowledged_by_id"] is None
        assert event["after"]["acknowledged_by_id"] == str(admin.user.id)
        assert "'TRIGGERED' -> 'ACKNOWLEDGED'" in event["details"]
        assert started <= when(event["timestamp"]) <= datetime.now(UTC)
        assert_by(event, admin, response)

    async def test_resolving_one(self, client, admin, incident: Incident):
        request = client.post(
            f"/api/v1/incidents/{incident.id}/resolve/",
            headers=admin.headers,
            json={"resolution_note": "rolled back", "root_cause": "bad deploy"},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 200, response.text
        assert [e["action"] for e in added] == ["incident.resolved"]
        event = added[0]
        assert event["before"]["status"] == "TRIGGERED"
        assert event["after"]["status"] == "RESOLVED"
        assert event["after"]["resolution_note"] == "rolled back"
        assert event["after"]["root_cause"] == "bad deploy"
        assert event["after"]["resolved_by_id"] == str(admin.user.id)
        assert_by(event, admin, response)

    async def test_commenting(self, client, admin, incident: Incident):
        request = client.post(
            f"/api/v1/incidents/{incident.id}/comments/",
            headers=admin.headers,
            json={"content": "Rolling back the deploy"},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 201, response.text
        assert [e["action"] for e in added] == ["comment.created"]
        event = added[0]
        assert event["object_type"] == "comment"
        assert event["object_id"] == response.json()["id"]
        assert event["incident_id"] == str(incident.id)
        assert event["after"]["content"] == "Rolling back the deploy"
        assert event["after"]["author_id"] == str(admin.user.id)
        assert_by(event, admin, response)

    async def test_changing_the_severity(self, client, admin, incident: Incident):
        request = client.patch(
            f"/api/v1/incidents/{incident.id}/",
            headers=admin.headers,
            json={"severity": "SEV1_CRITICAL"},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 200, response.text
        assert [e["action"] for e in added] == ["incident.updated"]
        assert added[0]["before"] == {"severity": "SEV3_MEDIUM"}
        assert added[0]["after"] == {"severity": "SEV1_CRITICAL"}
        assert added[0]["details"] == (
            "incident.updated (severity: 'SEV3_MEDIUM' -> 'SEV1_CRITICAL')"
        )
        assert_by(added[0], admin, response)

    async def test_severity_and_new_tags_in_one_patch_are_one_row(self, client, admin, incident):
        request = client.patch(
            f"/api/v1/incidents/{incident.id}/",
            headers=admin.headers,
            json={"severity": "SEV1_CRITICAL", "tags": ["brand-new"]},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 200, response.text
        incident_rows = [e for e in added if e["object_type"] == "incident"]
        assert [e["action"] for e in incident_rows] == ["incident.updated"]
        assert incident_rows[0]["after"] == {"severity": "SEV1_CRITICAL", "tags": ["brand-new"]}
        assert [e["action"] for e in added if e["object_type"] == "tag"] == ["tag.created"]

    async def test_changing_a_field_and_the_status_records_both_actions(
        self, client, admin, incident: Incident
    ):
        request = client.patch(
            f"/api/v1/incidents/{incident.id}/",
            headers=admin.headers,
            json={"severity": "SEV2_HIGH", "status": "ACKNOWLEDGED"},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 200, response.text
        assert [e["action"] for e in added] == ["incident.updated", "incident.acknowledged"]
        assert added[0]["after"] == {"severity": "SEV2_HIGH"}
        assert added[1]["after"]["status"] == "ACKNOWLEDGED"

    async def test_deleting_one_keeps_its_history(self, client, admin, incident: Incident):
        request = client.delete(f"/api/v1/incidents/{incident.id}/", headers=admin.headers)
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 200, response.text
        assert [e["action"] for e in added] == ["incident.deleted"]
        assert added[0]["before"]["short_id"] == incident.short_id
        assert added[0]["after"] is None
        assert_by(added[0], admin, response)
        history = await trail(client, admin.headers, incident=incident.short_id)
        assert [e["action"] for e in history] == ["incident.created", "incident.deleted"]


class TestFailedRequestsLeaveNoTrace:
    async def test_an_invalid_transition(self, client, admin, incident: Incident):
        url = f"/api/v1/incidents/{incident.id}/acknowledge/"
        assert (await client.post(url, headers=admin.headers)).status_code == 200

        response, added = await changes(
            client, admin.headers, client.post(url, headers=admin.headers)
        )

        assert response.status_code == 409, response.text
        assert added == []

    async def test_a_change_flushed_before_a_409(self, client, admin, incident: Incident):
        resolved = await client.post(
            f"/api/v1/incidents/{incident.id}/resolve/", headers=admin.headers
        )
        assert resolved.status_code == 200, resolved.text
        request = client.patch(
            f"/api/v1/incidents/{incident.id}/",
            headers=admin.headers,
            json={"severity": "SEV1_CRITICAL", "status": "ACKNOWLEDGED"},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 409, response.text
        assert added == []
        detail = await client.get(f"/api/v1/incidents/{incident.id}/", headers=admin.headers)
        assert detail.json()["severity"] == "SEV3_MEDIUM"

    async def test_a_change_flushed_before_a_400(self, client, admin, incident: Incident):
        request = client.patch(
            f"/api/v1/incidents/{incident.id}/",
            headers=admin.headers,
            json={"severity": "SEV1_CRITICAL", "lead": str(uuid.uuid4())},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 400, response.text
        assert added == []
        detail = await client.get(f"/api/v1/incidents/{incident.id}/", headers=admin.headers)
        assert detail.json()["severity"] == "SEV3_MEDIUM"

    async def test_a_duplicate_user(self, client, admin):
        request = client.post(
            "/api/v1/users/",
            headers=admin.headers,
            json={"username": admin.user.username, "password": NEW_PASSWORD},
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 409, response.text
        assert added == []

    async def test_a_request_that_is_refused(self, client, admin, viewer, incident: Incident):
        request = client.post(
            f"/api/v1/incidents/{incident.id}/acknowledge/", headers=viewer.headers
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 403, response.text
        assert added == []

    async def test_reads_write_nothing(self, client, admin, incident: Incident):
        response, added = await changes(
            client,
            admin.headers,
            client.get(f"/api/v1/incidents/{incident.id}/", headers=admin.headers),
        )

        assert response.status_code == 200
        assert added == []


class TestWebhookSubscriptions:
    async def test_its_secret_and_headers_never_reach_the_trail(self, client, admin):
        request = client.post(
            "/api/v1/webhook-subscriptions/",
            headers=admin.headers,
            json={
                "name": "ITSM",
                "url": "https://your-system.com/webhooks/incidents",
                "events": ["INCIDENT_CREATED"],
                "headers": {"X-Api-Key": "receiver-api-key-123"},
            },
        )
        response, added = await changes(client, admin.headers, request)

        assert response.status_code == 201, response.text
        event = only(added, "webhook_subscription.created")
        assert event["after"]["secret_encrypted"] == "[redacted]"
        assert event["after"]["headers"] == "[redacted]"
        text = await everything_as_text(client, admin)
        assert "receiver-api-key-123" not in text
        assert response.json()["secret"] not in text
