"""Scopes as a user meets them: what a credential may do is its own limit within the user's role."""

from __future__ import annotations

import itertools

import pytest

from tests.factories import PASSWORD, make_actor
from tests.helpers import assert_error

VIEWER_SCOPES = ["incident:read", "pipeline:read", "webhook:read"]
_seq = itertools.count(1)


def new_user() -> dict[str, str]:
    n = next(_seq)
    return {"username": f"newcomer{n}", "password": "a-long-password", "email": f"n{n}@example.com"}


async def create_user(client, headers):
    return await client.post("/api/v1/users/", json=new_user(), headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def viewer(db, admin):
    """A viewer in the admin's organization."""
    return await make_actor(db, org=admin.org, role="viewer")


@pytest.fixture
async def co_admin(db, admin):
    """A second admin in the admin's organization (so the first may demote them)."""
    return await make_actor(db, org=admin.org, role="admin")


class TestAdminScopeOnUserCreation:
    async def test_admin_token_creates_a_user(self, client, admin):
        response = await create_user(client, admin.headers)

        assert response.status_code == 201
        assert response.json()["role"] == "viewer"

    async def test_token_limited_to_incident_read_is_denied(self, client, db, admin):
        limited = await make_actor(db, org=admin.org, role="admin", scopes=["incident:read"])

        response = await create_user(client, limited.headers)

        body = assert_error(response, 403, "permission_denied", error="Permission denied")
        assert body["details"] == {"required_scope": "admin"}

    async def test_token_limited_to_incident_read_still_reads(self, client, db, admin):
        limited = await make_actor(db, org=admin.org, role="admin", scopes=["incident:read"])

        response = await client.get("/api/v1/users/me/", headers=limited.headers)

        assert response.status_code == 200
        assert response.json()["permissions"] == ["incident:read"]
        assert response.json()["role"] == "admin"

    async def test_viewer_token_is_denied(self, client, viewer):
        response = await create_user(client, viewer.headers)

        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": "admin"}

    async def test_responder_token_is_denied(self, client, db, admin):
        responder = await make_actor(db, org=admin.org, role="responder")

        response = await create_user(client, responder.headers)

        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": "admin"}

    async def test_denied_request_creates_nothing(self, client, admin, viewer):
        attempt = new_user()
        await client.post("/api/v1/users/", json=attempt, headers=viewer.headers)

        listed = await client.get(
            "/api/v1/users/", params={"search": attempt["username"]}, headers=admin.headers
        )
        assert listed.json()["count"] == 0

    async def test_jwt_limited_at_login_is_denied(self, client, admin):
        login = await client.post(
            "/api/auth/login/",
            data={"username": admin.user.username, "password": PASSWORD, "scope": "incident:read"},
        )
        access = login.json()["access_token"]

        response = await create_user(client, bearer(access))

        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": "admin"}

    async def test_unlimited_jwt_of_an_admin_creates_a_user(self, client, admin):
        login = await client.post(
            "/api/auth/login/", json={"username": admin.user.username, "password": PASSWORD}
        )

        response = await create_user(client, bearer(login.json()["access_token"]))

        assert response.status_code == 201


class TestScopesNeverExceedTheRole:
    async def test_viewer_asking_for_admin_gets_only_viewer_scopes(self, client, viewer):
        created = await client.post(
            "/api/auth/token/",
            json={
                "username": viewer.user.username,
                "password": PASSWORD,
                "scopes": ["admin", "incident:read", "incident:write"],
            },
        )
        assert created.status_code == 200
        assert created.json()["scopes"] == ["incident:read"]
        token = created.json()["token"]

        verify = await client.get(
            "/api/auth/token/verify/", headers={"Authorization": f"Token {token}"}
        )

        assert verify.status_code == 200
        assert "admin" not in verify.json()["scopes"]
        assert verify.json()["scopes"] == ["incident:read"]
        denied = await create_user(client, {"Authorization": f"Token {token}"})
        assert_error(denied, 403, "permission_denied")

    async def test_viewer_asking_only_for_admin_gets_no_scope_at_all(self, client, viewer):
        created = await client.post(
            "/api/auth/token/",
            json={"username": viewer.user.username, "password": PASSWORD, "scopes": ["admin"]},
        )

        assert created.status_code == 200
        assert created.json()["scopes"] == []
        verify = await client.get(
            "/api/auth/token/verify/",
            headers={"Authorization": f"Token {created.json()['token']}"},
        )
        assert verify.json()["scopes"] == []

    async def test_viewer_logging_in_with_admin_scope_gets_no_admin(self, client, viewer):
        login = await client.post(
            "/api/auth/login/",
            data={"username": viewer.user.username, "password": PASSWORD, "scope": "admin"},
        )
        assert login.status_code == 200

        verify = await client.get(
            "/api/auth/token/verify/", headers=bearer(login.json()["access_token"])
        )

        assert "admin" not in verify.json()["scopes"]

    async def test_unlimited_viewer_token_holds_exactly_the_viewer_scopes(self, client, viewer):
        verify = await client.get("/api/auth/token/verify/", headers=viewer.headers)

        assert verify.json()["scopes"] == VIEWER_SCOPES


class TestRoleChangesApplyToExistingCredentials:
    async def test_demoted_admins_token_loses_admin_at_once(self, client, admin, co_admin):
        assert (await create_user(client, co_admin.headers)).status_code == 201

        demoted = await client.patch(
            f"/api/v1/users/{co_admin.user.id}/", json={"role": "viewer"}, headers=admin.headers
        )
        assert demoted.status_code == 200
        assert demoted.json()["role"] == "viewer"

        response = await create_user(client, co_admin.headers)
        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": "admin"}
        me = await client.get("/api/v1/users/me/", headers=co_admin.headers)
        assert me.json()["role"] == "viewer"
        assert me.json()["permissions"] == VIEWER_SCOPES

    async def test_demoted_admins_jwt_loses_admin_at_once(self, client, admin, co_admin):
        login = await client.post(
            "/api/auth/login/", json={"username": co_admin.user.username, "password": PASSWORD}
        )
        access = login.json()["access_token"]
        assert (await create_user(client, bearer(access))).status_code == 201

        await client.patch(
            f"/api/v1/users/{co_admin.user.id}/", json={"role": "viewer"}, headers=admin.headers
        )

        response = await create_user(client, bearer(access))
        assert_error(response, 403, "permission_denied")

    async def test_promoted_viewers_token_gains_admin_at_once(self, client, admin, viewer):
        assert (await create_user(client, viewer.headers)).status_code == 403

        promoted = await client.patch(
            f"/api/v1/users/{viewer.user.id}/", json={"role": "admin"}, headers=admin.headers
        )
        assert promoted.status_code == 200

        response = await create_user(client, viewer.headers)
        assert response.status_code == 201

    async def test_a_promotion_never_widens_a_limited_token(self, client, db, admin):
        limited = await make_actor(db, org=admin.org, role="viewer", scopes=["incident:read"])

        await client.patch(
            f"/api/v1/users/{limited.user.id}/", json={"role": "admin"}, headers=admin.headers
        )

        verify = await client.get("/api/auth/token/verify/", headers=limited.headers)
        assert verify.json()["scopes"] == ["incident:read"]
        assert_error(await create_user(client, limited.headers), 403, "permission_denied")

    async def test_viewer_cannot_promote_themselves(self, client, viewer):
        response = await client.patch(
            f"/api/v1/users/{viewer.user.id}/", json={"role": "admin"}, headers=viewer.headers
        )

        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"required_scope": "admin"}
        me = await client.get("/api/v1/users/me/", headers=viewer.headers)
        assert me.json()["role"] == "viewer"


class TestRequestedScopesAreHonoured:
    """Whichever spelling a client uses (`scopes` list or OAuth2 `scope` string, on either
    endpoint), a limit it asks for is applied, never silently dropped."""

    async def test_token_asked_with_a_scopes_list(self, client, admin):
        response = await client.post(
            "/api/auth/token/",
            json={
                "username": admin.user.username,
                "password": PASSWORD,
                "scopes": ["incident:read"],
            },
        )

        assert response.status_code == 200
        assert response.json()["scopes"] == ["incident:read"]

    async def test_token_asked_with_the_oauth2_scope_form_field(self, client, admin):
        response = await client.post(
            "/api/auth/token/",
            data={
                "grant_type": "password",
                "username": admin.user.username,
                "password": PASSWORD,
                "scope": "incident:read webhook:read",
            },
        )

        assert response.status_code == 200
        assert response.json()["scopes"] == ["incident:read", "webhook:read"]
        denied = await create_user(
            client, {"Authorization": f"Bearer {response.json()['access_token']}"}
        )
        assert_error(denied, 403, "permission_denied")

    async def test_session_asked_with_the_oauth2_scope_form_field(self, client, admin):
        login = await client.post(
            "/api/auth/login/",
            data={"username": admin.user.username, "password": PASSWORD, "scope": "incident:read"},
        )

        verify = await client.get(
            "/api/auth/token/verify/", headers=bearer(login.json()["access_token"])
        )
        assert verify.json()["scopes"] == ["incident:read"]

    async def test_session_asked_with_a_scopes_list(self, client, admin):
        login = await client.post(
            "/api/auth/login/",
            json={
                "username": admin.user.username,
                "password": PASSWORD,
                "scopes": ["incident:read"],
            },
        )
        assert login.status_code == 200

        verify = await client.get(
            "/api/auth/token/verify/", headers=bearer(login.json()["access_token"])
        )
        assert verify.json()["scopes"] == ["incident:read"]
        assert_error(
            await create_user(client, bearer(login.json()["access_token"])),
            403,
            "permission_denied",
        )

    async def test_unknown_scope_in_the_oauth2_field_of_a_token_request_is_refused(
        self, client, admin
    ):
        response = await client.post(
            "/api/auth/token/",
            data={"username": admin.user.username, "password": PASSWORD, "scope": "root"},
        )

        assert_error(response, 400, "validation_error")


class TestRevokingColleaguesTokensNeedsTheAdminScope:
    async def test_admin_token_limited_to_reading_cannot_revoke_a_colleagues_token(
        self, client, db, admin
    ):
        limited = await make_actor(db, org=admin.org, role="admin", scopes=["incident:read"])
        (admin_token,) = (await client.get("/api/v1/tokens/", headers=admin.headers)).json()[
            "results"
        ]

        response = await client.delete(
            f"/api/v1/tokens/{admin_token['id']}/", headers=limited.headers
        )

        assert_error(response, 404, "not_found")
        still = await client.get("/api/auth/token/verify/", headers=admin.headers)
        assert still.status_code == 200

    async def test_limited_token_may_still_revoke_its_own_user_tokens(self, client, db, admin):
        limited = await make_actor(db, org=admin.org, role="admin", scopes=["incident:read"])
        (own,) = (await client.get("/api/v1/tokens/", headers=limited.headers)).json()["results"]

        response = await client.delete(f"/api/v1/tokens/{own['id']}/", headers=limited.headers)

        assert response.status_code == 204
        assert_error(
            await client.get("/api/auth/token/verify/", headers=limited.headers),
            401,
            "token_expired",
        )

    async def test_admin_jwt_limited_to_reading_cannot_revoke_a_colleagues_token(
        self, client, db, admin
    ):
        login = await client.post(
            "/api/auth/login/",
            data={"username": admin.user.username, "password": PASSWORD, "scope": "incident:read"},
        )
        colleague = await make_actor(db, org=admin.org, role="viewer")
        (theirs,) = (await client.get("/api/v1/tokens/", headers=colleague.headers)).json()[
            "results"
        ]

        response = await client.delete(
            f"/api/v1/tokens/{theirs['id']}/", headers=bearer(login.json()["access_token"])
        )

        assert_error(response, 404, "not_found")
        still = await client.get("/api/auth/token/verify/", headers=colleague.headers)
        assert still.status_code == 200
