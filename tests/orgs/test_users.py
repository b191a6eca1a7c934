"""`/api/v1/users/`: the members of the caller's organization, managed by its admins."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from httpx import AsyncClient

from imas.auth.scopes import ALL_SCOPES
from imas.db import Database, acting_in
from imas.orgs.models import Membership, Role
from tests.factories import Actor, make_actor
from tests.helpers import assert_error
from tests.orgs.helpers import bearer, login, obtain_token, without_id

URL = "/api/v1/users/"
USER_FIELDS = {
    "id",
    "username",
    "login",
    "name",
    "email",
    "avatar_url",
    "role",
    "is_active",
    "created_at",
    "updated_at",
}
NEW_PASSWORD = "another-long-passphrase"


def user_url(user_id: uuid.UUID | str) -> str:
    return f"{URL}{user_id}/"


async def add_user(client: AsyncClient, admin: Actor, **body: Any) -> dict[str, Any]:
    body.setdefault("password", "s3cret-enough")
    response = await client.post(URL, json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def usernames(client: AsyncClient, actor: Actor, **params: Any) -> list[str]:
    response = await client.get(URL, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return [u["username"] for u in response.json()["results"]]


async def me(client: AsyncClient, actor: Actor) -> dict[str, Any]:
    response = await client.get("/api/v1/users/me/", headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestListUsers:
    async def test_lists_the_members_of_the_callers_organization_only(
        self, client: AsyncClient, admin: Actor, viewer: Actor, responder: Actor, outsider: Actor
    ) -> None:
        response = await client.get(URL, headers=admin.headers)

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 3
        assert body["next"] is None
        assert body["previous"] is None
        roles = {u["username"]: u["role"] for u in body["results"]}
        assert roles == {
            admin.user.username: "admin",
            viewer.user.username: "viewer",
            responder.user.username: "responder",
        }
        assert outsider.user.username not in response.text

    async def test_shows_each_members_documented_fields(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        [user] = (await client.get(URL, headers=admin.headers)).json()["results"]

        assert set(user) == USER_FIELDS
        assert user["id"] == str(admin.user.id)
        assert user["login"] == user["username"] == admin.user.username
        assert user["email"] == admin.user.email
        assert user["is_active"] is True
        assert user["avatar_url"] is None
        assert user["created_at"].endswith("Z")
        datetime.fromisoformat(user["updated_at"])

    async def test_a_viewer_may_list_the_members(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        names = await usernames(client, viewer)

        assert sorted(names) == sorted([admin.user.username, viewer.user.username])

    async def test_never_shows_another_organizations_users(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        await add_user(client, outsider, username="theirs-alice", name="Alice")

        found = await usernames(client, admin, search="alice")
        everyone = await usernames(client, admin, page_size=100)

        assert found == []
        assert "theirs-alice" not in everyone
        assert outsider.user.username not in everyone

    async def test_filters_by_role(
        self, client: AsyncClient, admin: Actor, viewer: Actor, responder: Actor
    ) -> None:
        assert await usernames(client, admin, role="viewer") == [viewer.user.username]
        assert await usernames(client, admin, role="responder") == [responder.user.username]
        assert await usernames(client, admin, role="admin") == [admin.user.username]

    async def test_an_unknown_role_filter_is_rejected(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        response = await client.get(URL, params={"role": "owner"}, headers=admin.headers)

        body = assert_error(response, 400, "validation_error")
        assert "role" in body["details"]

    async def test_filters_by_active_state(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        await client.patch(
            user_url(viewer.user.id), json={"is_active": False}, headers=admin.headers
        )

        assert await usernames(client, admin, is_active="false") == [viewer.user.username]
        assert await usernames(client, admin, is_active="true") == [admin.user.username]

    async def test_searches_username_name_and_email(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        await add_user(
            client, admin, username="jdoe", name="Jane Doe", email="jane@corp.example.com"
        )
        await add_user(
            client, admin, username="bsmith", name="Bob Smith", email="bob@ops.example.net"
        )

        assert await usernames(client, admin, search="JDO") == ["jdoe"]
        assert await usernames(client, admin, search="smith") == ["bsmith"]
        assert await usernames(client, admin, search="ops.example.net") == ["bsmith"]

    async def test_orders_by_username_by_default_and_on_request(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        await add_user(client, admin, username="zed")
        await add_user(client, admin, username="amy")

        default = await usernames(client, admin)
        descending = await usernames(client, admin, ordering="-username")

        assert default == sorted(default)
        assert default[0] == "amy"
        assert descending == list(reversed(default))

    async def test_orders_by_role(
        self, client: AsyncClient, admin: Actor, viewer: Actor, responder: Actor
    ) -> None:
        response = await client.get(URL, params={"ordering": "role"}, headers=admin.headers)

        roles = [u["role"] for u in response.json()["results"]]
        assert roles == ["admin", "responder", "viewer"]

    async def test_an_unknown_ordering_field_is_rejected(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        response = await client.get(
            URL, params={"ordering": "password_hash"}, headers=admin.headers
        )

        body = assert_error(response, 400, "validation_error")
        assert "ordering" in body["details"]

    async def test_requires_a_credential(self, client: AsyncClient) -> None:
        assert_error(await client.get(URL), 401, "not_authenticated")


class TestCreateUser:
    async def test_an_admin_adds_a_member(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.post(
            URL,
            json={
                "username": "jdoe",
                "password": "s3cret-enough",
                "email": "Jane.Doe@Example.com",
                "name": "Jane Doe",
                "role": "responder",
            },
            headers=admin.headers,
        )

        assert response.status_code == 201
        user = response.json()
        assert set(user) == USER_FIELDS
        uuid.UUID(user["id"])
        assert user["username"] == user["login"] == "jdoe"
        assert user["name"] == "Jane Doe"
        assert user["email"] == "jane.doe@example.com"
        assert user["role"] == "responder"
        assert user["is_active"] is True
        assert "password" not in response.text
        assert "jdoe" in await usernames(client, admin)

    async def test_a_new_member_is_a_viewer_unless_told_otherwise(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        user = await add_user(client, admin, username="newbie")

        assert user["role"] == "viewer"

    async def test_the_new_member_can_obtain_a_token_and_acts_in_the_organization(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        await add_user(client, admin, username="jdoe", password="s3cret-enough", role="responder")

        response = await obtain_token(client, "jdoe", "s3cret-enough")

        assert response.status_code == 200, response.text
        assert response.json()["organization"] == admin.org.slug
        headers = {"Authorization": f"Token {response.json()['token']}"}
        profile = (await client.get("/api/v1/users/me/", headers=headers)).json()
        assert profile["username"] == "jdoe"
        assert profile["role"] == "responder"
        assert profile["organization"]["id"] == str(admin.org.id)

    async def test_a_taken_username_is_a_conflict(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.post(
            URL,
            json={"username": viewer.user.username, "password": "s3cret-enough"},
            headers=admin.headers,
        )

        body = assert_error(response, 409, "conflict")
        assert body["error"] == "User already exists"
        assert "username" in body["details"]

    async def test_a_taken_email_is_a_conflict_whatever_its_case(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        assert viewer.user.email is not None
        response = await client.post(
            URL,
            json={
                "username": "someone-else",
                "password": "s3cret-enough",
                "email": viewer.user.email.upper(),
            },
            headers=admin.headers,
        )

        body = assert_error(response, 409, "conflict")
        assert body["error"] == "User already exists"
        assert "email" in body["details"]

    async def test_a_short_password_is_rejected(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.post(
            URL, json={"username": "jdoe", "password": "Tiny7"}, headers=admin.headers
        )

        body = assert_error(response, 400, "validation_error")
        assert "password" in body["details"]
        assert "Tiny7" not in response.text
        assert "jdoe" not in await usernames(client, admin)

    async def test_an_invalid_username_is_rejected(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.post(
            URL, json={"username": "john doe", "password": "s3cret-enough"}, headers=admin.headers
        )

        body = assert_error(response, 400, "validation_error")
        assert "username" in body["details"]

    async def test_an_invalid_email_is_rejected(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.post(
            URL,
            json={"username": "jdoe", "password": "s3cret-enough", "email": "not-an-email"},
            headers=admin.headers,
        )

        body = assert_error(response, 400, "validation_error")
        assert "email" in body["details"]

    async def test_a_viewer_may_not_add_members(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.post(
            URL, json={"username": "sneaky", "password": "s3cret-enough"}, headers=viewer.headers
        )

        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": "admin"}
        assert "sneaky" not in await usernames(client, admin)

    async def test_a_responder_may_not_add_members(
        self, client: AsyncClient, admin: Actor, responder: Actor
    ) -> None:
        response = await client.post(
            URL,
            json={"username": "sneaky", "password": "s3cret-enough"},
            headers=responder.headers,
        )

        assert_error(response, 403, "permission_denied")
        assert "sneaky" not in await usernames(client, admin)

    async def test_an_admin_token_limited_to_reading_may_not_add_members(
        self, client: AsyncClient, db: Database, admin: Actor
    ) -> None:
        reader = await make_actor(db, org=admin.org, role="admin", scopes=["incident:read"])

        response = await client.post(
            URL, json={"username": "sneaky", "password": "s3cret-enough"}, headers=reader.headers
        )

        assert_error(response, 403, "permission_denied")

    async def test_requires_a_credential(self, client: AsyncClient) -> None:
        response = await client.post(URL, json={"username": "x", "password": "s3cret-enough"})

        assert_error(response, 401, "not_authenticated")


class TestGetUser:
    async def test_a_member_is_shown(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.get(user_url(admin.user.id), headers=viewer.headers)

        assert response.status_code == 200
        user = response.json()
        assert set(user) == USER_FIELDS
        assert user["id"] == str(admin.user.id)
        assert user["role"] == "admin"

    async def test_a_user_of_another_organization_is_not_found(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.get(user_url(outsider.user.id), headers=admin.headers)

        body = assert_error(response, 404, "not_found")
        assert body["details"]["resource"] == "user"
        assert outsider.user.username not in response.text

    async def test_a_user_of_another_organization_looks_exactly_like_a_missing_one(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        missing = uuid.uuid4()

        foreign = await client.get(user_url(outsider.user.id), headers=admin.headers)
        absent = await client.get(user_url(missing), headers=admin.headers)

        assert without_id(foreign.json(), outsider.user.id) == without_id(absent.json(), missing)


class TestUpdateUser:
    async def test_an_admin_promotes_a_member_who_then_holds_the_new_scopes(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.patch(
            user_url(viewer.user.id), json={"role": "admin"}, headers=admin.headers
        )

        assert response.status_code == 200
        assert response.json()["role"] == "admin"
        assert sorted((await me(client, viewer))["permissions"]) == sorted(ALL_SCOPES)
        added = await client.post(
            URL,
            json={"username": "by-promoted", "password": "s3cret-enough"},
            headers=viewer.headers,
        )
        assert added.status_code == 201

    async def test_an_admin_demotes_another_admin(
        self, client: AsyncClient, db: Database, admin: Actor
    ) -> None:
        second = await make_actor(db, org=admin.org, role="admin")

        response = await client.patch(
            user_url(second.user.id), json={"role": "viewer"}, headers=admin.headers
        )

        assert response.status_code == 200
        assert response.json()["role"] == "viewer"
        assert "admin" not in (await me(client, second))["permissions"]

    async def test_an_admin_renames_and_changes_a_members_email(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.patch(
            user_url(viewer.user.id),
            json={"name": "Vera Viewer", "email": "Vera@Example.com"},
            headers=admin.headers,
        )

        assert response.status_code == 200
        assert response.json()["name"] == "Vera Viewer"
        assert response.json()["email"] == "vera@example.com"
        shown = (await client.get(user_url(viewer.user.id), headers=admin.headers)).json()
        assert shown["name"] == "Vera Viewer"

    async def test_an_email_used_by_another_user_is_rejected(
        self, client: AsyncClient, admin: Actor, viewer: Actor, outsider: Actor
    ) -> None:
        response = await client.patch(
            user_url(viewer.user.id), json={"email": outsider.user.email}, headers=admin.headers
        )

        body = assert_error(response, 400, "validation_error")
        assert "email" in body["details"]
        shown = (await client.get(user_url(viewer.user.id), headers=admin.headers)).json()
        assert shown["email"] == viewer.user.email

    async def test_an_admin_sets_a_new_password_that_then_works(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.patch(
            user_url(viewer.user.id), json={"password": NEW_PASSWORD}, headers=admin.headers
        )

        assert response.status_code == 200
        assert "password" not in response.json()
        assert (await login(client, viewer.user.username, NEW_PASSWORD)).status_code == 200
        old = await login(client, viewer.user.username, viewer.password)
        assert_error(old, 401, "invalid_credentials")

    async def test_a_short_new_password_is_rejected(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.patch(
            user_url(viewer.user.id), json={"password": "short"}, headers=admin.headers
        )

        body = assert_error(response, 400, "validation_error")
        assert "password" in body["details"]
        assert (await login(client, viewer.user.username, viewer.password)).status_code == 200

    async def test_a_deactivated_member_is_locked_out_until_reactivated(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.patch(
            user_url(viewer.user.id), json={"is_active": False}, headers=admin.headers
        )

        assert response.status_code == 200
        assert response.json()["is_active"] is False
        locked = await client.get("/api/v1/users/me/", headers=viewer.headers)
        assert_error(locked, 401, "account_disabled")
        assert_error(await login(client, viewer.user.username, viewer.password), 401)

        await client.patch(
            user_url(viewer.user.id), json={"is_active": True}, headers=admin.headers
        )
        assert (await client.get("/api/v1/users/me/", headers=viewer.headers)).status_code == 200

    async def test_an_unknown_role_is_rejected(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.patch(
            user_url(viewer.user.id), json={"role": "owner"}, headers=admin.headers
        )

        body = assert_error(response, 400, "validation_error")
        assert "role" in body["details"]

    async def test_a_viewer_may_not_change_members(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.patch(
            user_url(viewer.user.id), json={"role": "admin"}, headers=viewer.headers
        )

        assert_error(response, 403, "permission_denied")
        assert (await me(client, viewer))["role"] == "viewer"

    async def test_a_responder_may_not_change_members(
        self, client: AsyncClient, admin: Actor, responder: Actor
    ) -> None:
        response = await client.patch(
            user_url(admin.user.id), json={"password": NEW_PASSWORD}, headers=responder.headers
        )

        assert_error(response, 403, "permission_denied")
        assert (await login(client, admin.user.username, admin.password)).status_code == 200

    async def test_a_user_of_another_organization_is_not_found_and_left_alone(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.patch(
            user_url(outsider.user.id),
            json={
                "role": "viewer",
                "is_active": False,
                "password": NEW_PASSWORD,
                "name": "Pwned",
                "email": "pwned@example.com",
            },
            headers=admin.headers,
        )

        assert_error(response, 404, "not_found")
        theirs = await me(client, outsider)
        assert theirs["role"] == "admin"
        assert theirs["is_active"] is True
        assert theirs["name"] == ""
        assert theirs["email"] == outsider.user.email
        assert (await login(client, outsider.user.username, outsider.password)).status_code == 200

    async def test_an_admin_cannot_take_over_an_account_that_also_belongs_to_another_org(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        """A viewer here who created an organization of their own is its admin: an admin here
        must not be able to set their password (or lock or re-address the account) and so
        act as them in that other organization."""
        own = await client.post(
            "/api/v1/organizations/", json={"name": "Viewer's Own"}, headers=viewer.headers
        )
        assert own.status_code == 201

        for change in (
            {"password": NEW_PASSWORD},
            {"email": "attacker@example.com"},
            {"is_active": False},
        ):
            response = await client.patch(
                user_url(viewer.user.id), json=change, headers=admin.headers
            )
            assert_error(response, 403, "permission_denied")

        assert_error(await login(client, viewer.user.username, NEW_PASSWORD), 401)
        theirs = await bearer(client, viewer.user.username, viewer.password, own.json()["slug"])
        profile = (await client.get("/api/v1/users/me/", headers=theirs)).json()
        assert profile["email"] == viewer.user.email
        assert profile["is_active"] is True

    async def test_an_admin_still_changes_the_role_of_a_member_of_several_orgs(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        await client.post(
            "/api/v1/organizations/", json={"name": "Viewer's Own"}, headers=viewer.headers
        )

        response = await client.patch(
            user_url(viewer.user.id), json={"role": "responder"}, headers=admin.headers
        )

        assert response.status_code == 200
        assert response.json()["role"] == "responder"


class TestLastAdmin:
    async def test_the_last_admin_cannot_be_demoted(
        self, client: AsyncClient, admin: Actor, viewer: Actor, outsider: Actor
    ) -> None:
        response = await client.patch(
            user_url(admin.user.id), json={"role": "viewer"}, headers=admin.headers
        )

        body = assert_error(response, 409, "last_admin")
        assert body["error"] == "Last admin"
        assert (await me(client, admin))["role"] == "admin"

    async def test_the_last_admin_cannot_be_deactivated(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.patch(
            user_url(admin.user.id), json={"is_active": False}, headers=admin.headers
        )

        assert_error(response, 409, "last_admin")
        assert (await me(client, admin))["is_active"] is True

    async def test_the_last_admin_cannot_be_removed(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.delete(user_url(admin.user.id), headers=admin.headers)

        assert_error(response, 409, "last_admin")
        assert admin.user.username in await usernames(client, admin)

    async def test_a_rejected_change_leaves_the_rest_of_the_request_undone(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.patch(
            user_url(admin.user.id),
            json={"name": "Renamed", "role": "viewer"},
            headers=admin.headers,
        )

        assert_error(response, 409, "last_admin")
        assert (await me(client, admin))["name"] == ""

    async def test_with_a_second_admin_the_first_may_step_down(
        self, client: AsyncClient, db: Database, admin: Actor
    ) -> None:
        await make_actor(db, org=admin.org, role="admin")

        response = await client.patch(
            user_url(admin.user.id), json={"role": "responder"}, headers=admin.headers
        )

        assert response.status_code == 200
        assert response.json()["role"] == "responder"

    async def test_a_deactivated_admin_does_not_count_as_a_remaining_admin(
        self, client: AsyncClient, db: Database, admin: Actor
    ) -> None:
        dormant = await make_actor(db, org=admin.org, role="admin")
        deactivated = await client.patch(
            user_url(dormant.user.id), json={"is_active": False}, headers=admin.headers
        )
        assert deactivated.status_code == 200

        demote = await client.patch(
            user_url(admin.user.id), json={"role": "viewer"}, headers=admin.headers
        )
        deactivate = await client.patch(
            user_url(admin.user.id), json={"is_active": False}, headers=admin.headers
        )
        remove = await client.delete(user_url(admin.user.id), headers=admin.headers)

        assert_error(demote, 409, "last_admin")
        assert_error(deactivate, 409, "last_admin")
        assert_error(remove, 409, "last_admin")
        assert (await me(client, admin))["role"] == "admin"

    async def test_a_deactivated_admin_can_be_removed_by_the_active_one(
        self, client: AsyncClient, db: Database, admin: Actor
    ) -> None:
        dormant = await make_actor(db, org=admin.org, role="admin")
        await client.patch(
            user_url(dormant.user.id), json={"is_active": False}, headers=admin.headers
        )

        response = await client.delete(user_url(dormant.user.id), headers=admin.headers)

        assert response.status_code == 204


class TestRemoveUser:
    async def test_an_admin_removes_a_member(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.delete(user_url(viewer.user.id), headers=admin.headers)

        assert response.status_code == 204
        assert response.content == b""
        assert viewer.user.username not in await usernames(client, admin)
        assert_error(
            await client.get(user_url(viewer.user.id), headers=admin.headers), 404, "not_found"
        )

    async def test_the_removed_members_token_no_longer_works(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        await client.delete(user_url(viewer.user.id), headers=admin.headers)

        response = await client.get("/api/v1/users/me/", headers=viewer.headers)

        assert response.status_code != 200
        assert_error(response, 401, "invalid_token")

    async def test_the_removed_members_jwt_session_no_longer_works(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        session = await bearer(client, viewer.user.username, viewer.password)
        await client.delete(user_url(viewer.user.id), headers=admin.headers)

        response = await client.get("/api/v1/users/me/", headers=session)

        assert response.status_code != 200
        assert_error(response, 401, "invalid_token")

    async def test_the_removed_members_old_credentials_stay_dead_when_they_are_added_back(
        self, client: AsyncClient, db: Database, admin: Actor, viewer: Actor
    ) -> None:
        session_headers = await bearer(client, viewer.user.username, viewer.password)
        await client.delete(user_url(viewer.user.id), headers=admin.headers)

        # Added back later, as `imas user create <existing user> --org <slug>` does.
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                session.add(
                    Membership(
                        organization_id=admin.org.id, user_id=viewer.user.id, role=Role.VIEWER
                    )
                )

        old_token = await client.get("/api/v1/users/me/", headers=viewer.headers)
        old_session = await client.get("/api/v1/users/me/", headers=session_headers)
        assert old_token.status_code == 401
        assert old_session.status_code == 401

    async def test_the_removed_member_can_no_longer_log_in_to_the_organization(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        await client.delete(user_url(viewer.user.id), headers=admin.headers)

        response = await login(client, viewer.user.username, viewer.password, admin.org.slug)

        assert_error(response, 403, "permission_denied")

    async def test_the_removed_member_leaves_teams_and_their_on_call_slot(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        team = await client.post(
            "/api/v1/teams/",
            headers=admin.headers,
            json={
                "name": "SRE Core",
                "members": [str(admin.user.id), str(viewer.user.id)],
                "current_on_call": str(viewer.user.id),
            },
        )
        assert team.status_code == 201, team.text

        await client.delete(user_url(viewer.user.id), headers=admin.headers)

        after = (
            await client.get(f"/api/v1/teams/{team.json()['id']}/", headers=admin.headers)
        ).json()
        assert [m["id"] for m in after["members"]] == [str(admin.user.id)]
        assert after["current_on_call"] is None

    async def test_removing_twice_is_not_found(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        await client.delete(user_url(viewer.user.id), headers=admin.headers)

        response = await client.delete(user_url(viewer.user.id), headers=admin.headers)

        assert_error(response, 404, "not_found")

    async def test_a_viewer_may_not_remove_members(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.delete(user_url(admin.user.id), headers=viewer.headers)

        assert_error(response, 403, "permission_denied")
        assert admin.user.username in await usernames(client, admin)

    async def test_a_responder_may_not_remove_members(
        self, client: AsyncClient, viewer: Actor, responder: Actor
    ) -> None:
        response = await client.delete(user_url(viewer.user.id), headers=responder.headers)

        assert_error(response, 403, "permission_denied")

    async def test_a_user_of_another_organization_is_not_found_and_keeps_their_access(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.delete(user_url(outsider.user.id), headers=admin.headers)

        assert_error(response, 404, "not_found")
        assert (await me(client, outsider))["role"] == "admin"
        assert outsider.user.username in await usernames(client, outsider)
