"""`/api/v1/users/me/`: the caller's own profile (seed: opssight-devops-api)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from httpx import AsyncClient

from imas.auth.scopes import ALL_SCOPES
from imas.db import Database
from tests.factories import Actor, make_actor
from tests.helpers import assert_error
from tests.orgs.helpers import bearer, login

URL = "/api/v1/users/me/"
SEED_FIELDS = {
    "id",
    "login",
    "name",
    "email",
    "avatar_url",
    "created_at",
    "updated_at",
    "permissions",
}


async def profile(client: AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.get(URL, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestGetMe:
    async def test_shows_the_seed_fields_and_the_organization(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        response = await client.get(URL, headers=admin.headers)

        assert response.status_code == 200
        me = response.json()
        assert SEED_FIELDS | {"username", "organization", "role", "is_active"} <= set(me)
        assert me["id"] == str(admin.user.id)
        assert me["username"] == me["login"] == admin.user.username
        assert me["name"] == ""
        assert me["email"] == admin.user.email
        assert me["avatar_url"] is None
        assert me["role"] == "admin"
        assert me["is_active"] is True
        assert me["created_at"].endswith("Z")
        assert me["updated_at"].endswith("Z")
        datetime.fromisoformat(me["created_at"])
        assert me["organization"] == {
            "id": str(admin.org.id),
            "name": admin.org.name,
            "slug": admin.org.slug,
        }

    async def test_an_admin_holds_every_scope(self, client: AsyncClient, admin: Actor) -> None:
        me = await profile(client, admin.headers)

        assert me["permissions"] == sorted(ALL_SCOPES)

    async def test_a_viewer_holds_only_read_scopes(
        self, client: AsyncClient, viewer: Actor
    ) -> None:
        me = await profile(client, viewer.headers)

        assert me["role"] == "viewer"
        assert me["permissions"] == ["incident:read", "pipeline:read", "webhook:read"]

    async def test_a_responder_may_also_act_on_incidents(
        self, client: AsyncClient, responder: Actor
    ) -> None:
        me = await profile(client, responder.headers)

        assert set(me["permissions"]) >= {"incident:write", "automation:execute"}
        assert "admin" not in me["permissions"]

    async def test_a_token_limited_to_some_scopes_shows_only_those(
        self, client: AsyncClient, db: Database, admin: Actor
    ) -> None:
        limited = await make_actor(
            db, org=admin.org, role="admin", scopes=["incident:read", "webhook:read"]
        )

        me = await profile(client, limited.headers)

        assert me["permissions"] == ["incident:read", "webhook:read"]

    async def test_works_with_a_jwt_from_login(self, client: AsyncClient, admin: Actor) -> None:
        headers = await bearer(client, admin.user.username, admin.password)

        me = await profile(client, headers)

        assert me["id"] == str(admin.user.id)
        assert me["organization"]["slug"] == admin.org.slug

    async def test_shows_the_organization_the_session_acts_in(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        created = await client.post(
            "/api/v1/organizations/", json={"name": "Second Home"}, headers=admin.headers
        )
        headers = await bearer(client, admin.user.username, admin.password, created.json()["slug"])

        me = await profile(client, headers)

        assert me["organization"]["id"] == created.json()["id"]
        assert me["role"] == "admin"

    async def test_requires_a_credential(self, client: AsyncClient) -> None:
        assert_error(await client.get(URL), 401, "not_authenticated")

    async def test_an_unknown_token_is_refused(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.get(URL, headers={"Authorization": "Token " + "0" * 40})

        assert_error(response, 401, "invalid_token")


class TestUpdateMe:
    async def test_updates_name_and_email_as_in_the_seed(
        self, client: AsyncClient, viewer: Actor
    ) -> None:
        before = await profile(client, viewer.headers)

        response = await client.put(
            URL,
            json={"name": "Updated Name", "email": "updated@example.com"},
            headers=viewer.headers,
        )

        assert response.status_code == 200
        me = response.json()
        assert set(me) >= SEED_FIELDS
        assert me["id"] == str(viewer.user.id)
        assert me["login"] == viewer.user.username
        assert me["name"] == "Updated Name"
        assert me["email"] == "updated@example.com"
        assert datetime.fromisoformat(me["updated_at"]) > datetime.fromisoformat(
            before["updated_at"]
        )
        assert me["created_at"] == before["created_at"]
        assert me["permissions"] == before["permissions"]
        again = await profile(client, viewer.headers)
        assert (again["name"], again["email"]) == ("Updated Name", "updated@example.com")

    async def test_the_new_email_is_stored_in_lower_case_and_works_as_a_login(
        self, client: AsyncClient, viewer: Actor
    ) -> None:
        response = await client.put(URL, json={"email": "Vera@Example.COM"}, headers=viewer.headers)

        assert response.json()["email"] == "vera@example.com"
        assert (await login(client, "vera@example.com", viewer.password)).status_code == 200

    async def test_only_the_fields_sent_change(self, client: AsyncClient, viewer: Actor) -> None:
        response = await client.put(URL, json={"name": "Only Name"}, headers=viewer.headers)

        assert response.json()["name"] == "Only Name"
        assert response.json()["email"] == viewer.user.email

    async def test_sets_an_avatar(self, client: AsyncClient, viewer: Actor) -> None:
        avatar = "https://avatars.githubusercontent.com/u/123"

        response = await client.put(URL, json={"avatar_url": avatar}, headers=viewer.headers)

        assert response.status_code == 200
        assert response.json()["avatar_url"] == avatar

    async def test_keeping_ones_own_email_is_fine(self, client: AsyncClient, viewer: Actor) -> None:
        response = await client.put(
            URL, json={"email": viewer.user.email, "name": "Same Mail"}, headers=viewer.headers
        )

        assert response.status_code == 200
        assert response.json()["email"] == viewer.user.email

    async def test_an_email_used_by_another_user_is_rejected(
        self, client: AsyncClient, viewer: Actor, outsider: Actor
    ) -> None:
        assert outsider.user.email is not None
        response = await client.put(
            URL, json={"email": outsider.user.email.upper()}, headers=viewer.headers
        )

        body = assert_error(response, 400, "validation_error")
        assert "email" in body["details"]
        assert (await profile(client, viewer.headers))["email"] == viewer.user.email

    async def test_an_invalid_email_is_rejected(self, client: AsyncClient, viewer: Actor) -> None:
        response = await client.put(
            URL, json={"name": "Kept?", "email": "not-an-email"}, headers=viewer.headers
        )

        body = assert_error(response, 400, "validation_error")
        assert "email" in body["details"]
        assert (await profile(client, viewer.headers))["name"] == ""

    async def test_a_name_too_long_is_rejected(self, client: AsyncClient, viewer: Actor) -> None:
        response = await client.put(URL, json={"name": "x" * 201}, headers=viewer.headers)

        body = assert_error(response, 400, "validation_error")
        assert "name" in body["details"]

    async def test_ignores_an_attempt_to_change_the_role(
        self, client: AsyncClient, viewer: Actor
    ) -> None:
        response = await client.put(URL, json={"role": "admin"}, headers=viewer.headers)

        assert response.status_code == 200
        assert response.json()["role"] == "viewer"
        assert (await profile(client, viewer.headers))["role"] == "viewer"

    async def test_works_with_a_jwt_from_login(self, client: AsyncClient, viewer: Actor) -> None:
        headers = await bearer(client, viewer.user.username, viewer.password)

        response = await client.put(URL, json={"name": "Via JWT"}, headers=headers)

        assert response.status_code == 200
        assert (await profile(client, viewer.headers))["name"] == "Via JWT"

    async def test_requires_a_credential(self, client: AsyncClient) -> None:
        response = await client.put(URL, json={"name": "Anonymous"})

        assert_error(response, 401, "not_authenticated")
