"""JWT sessions as a user meets them: log in, call with Bearer, refresh, log out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from imas.auth import jwt
from imas.db import utcnow
from tests.factories import PASSWORD, make_actor
from tests.helpers import assert_error


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client, actor, **extra) -> dict:
    response = await client.post(
        "/api/auth/login/", json={"username": actor.user.username, "password": PASSWORD, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def secret(app) -> str:
    """The key the app signs its JWTs with."""
    return app.state.settings.secret_key


class TestLogin:
    async def test_json_username_returns_an_access_and_a_refresh_token(self, client, app, admin):
        response = await client.post(
            "/api/auth/login/", json={"username": admin.user.username, "password": PASSWORD}
        )

        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == app.state.settings.access_token_ttl_seconds
        assert body["access_token"].count(".") == 2
        assert body["refresh_token"].count(".") == 2
        assert body["access_token"] != body["refresh_token"]

    async def test_json_email_logs_in(self, client, admin):
        response = await client.post(
            "/api/auth/login/", json={"email": admin.user.email, "password": PASSWORD}
        )

        assert response.status_code == 200
        me = await client.get("/api/v1/users/me/", headers=bearer(response.json()["access_token"]))
        assert me.json()["username"] == admin.user.username

    async def test_form_username_logs_in(self, client, admin):
        response = await client.post(
            "/api/auth/login/", data={"username": admin.user.username, "password": PASSWORD}
        )

        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        me = await client.get("/api/v1/users/me/", headers=bearer(body["access_token"]))
        assert me.json()["username"] == admin.user.username

    async def test_form_email_logs_in(self, client, admin):
        response = await client.post(
            "/api/auth/login/", data={"email": admin.user.email, "password": PASSWORD}
        )

        assert response.status_code == 200
        me = await client.get("/api/v1/users/me/", headers=bearer(response.json()["access_token"]))
        assert me.json()["username"] == admin.user.username

    async def test_access_token_opens_the_profile(self, client, admin):
        tokens = await login(client, admin)

        response = await client.get("/api/v1/users/me/", headers=bearer(tokens["access_token"]))

        assert response.status_code == 200
        body = response.json()
        assert body["id"] == str(admin.user.id)
        assert body["organization"]["slug"] == admin.org.slug
        assert "admin" in body["permissions"]

    async def test_access_token_is_verified_like_an_api_token(self, client, admin):
        tokens = await login(client, admin)

        response = await client.get(
            "/api/auth/token/verify/", headers=bearer(tokens["access_token"])
        )

        assert response.status_code == 200
        body = response.json()
        assert body["valid"] is True
        assert body["user_id"] == str(admin.user.id)
        assert body["username"] == admin.user.username

    async def test_wrong_password_is_invalid_credentials(self, client, admin):
        response = await client.post(
            "/api/auth/login/", json={"username": admin.user.username, "password": "wrong-one"}
        )

        assert_error(response, 401, "invalid_credentials", error="Invalid credentials")

    async def test_unknown_user_is_invalid_credentials(self, client):
        response = await client.post(
            "/api/auth/login/", data={"username": "nobody-here", "password": "wrong-one"}
        )

        assert_error(response, 401, "invalid_credentials", error="Invalid credentials")

    async def test_inactive_user_cannot_log_in(self, client, db, admin):
        viewer = await make_actor(db, org=admin.org, role="viewer")
        await client.patch(
            f"/api/v1/users/{viewer.user.id}/", json={"is_active": False}, headers=admin.headers
        )

        response = await client.post(
            "/api/auth/login/", json={"username": viewer.user.username, "password": PASSWORD}
        )

        assert_error(response, 401, "invalid_credentials")

    async def test_missing_password_is_a_validation_error_on_password(self, client, admin):
        response = await client.post("/api/auth/login/", data={"username": admin.user.username})

        body = assert_error(response, 400, "validation_error", error="Validation failed")
        assert "password" in body["details"]

    async def test_unknown_scope_is_refused(self, client, admin):
        response = await client.post(
            "/api/auth/login/",
            data={
                "username": admin.user.username,
                "password": PASSWORD,
                "scope": "incident:read launch:missiles",
            },
        )

        body = assert_error(response, 400, "validation_error")
        assert "launch:missiles" in body["message"]

    async def test_organization_the_user_is_not_a_member_of_is_forbidden(
        self, client, admin, outsider
    ):
        response = await client.post(
            "/api/auth/login/",
            json={
                "username": admin.user.username,
                "password": PASSWORD,
                "organization": outsider.org.slug,
            },
        )

        assert_error(response, 403, "permission_denied")

    async def test_access_token_lives_as_long_as_expires_in_says(self, client, admin, secret):
        tokens = await login(client, admin)

        claims = jwt.decode(secret, tokens["access_token"], kind="access")

        assert claims["exp"] - claims["iat"] == tokens["expires_in"]

    async def test_member_of_two_organizations_logs_in_to_the_one_named(self, client, admin):
        created = await client.post(
            "/api/v1/organizations/",
            json={"name": "Second", "slug": "second"},
            headers=admin.headers,
        )
        assert created.status_code == 201

        tokens = await login(client, admin, organization="second")

        verify = await client.get("/api/auth/token/verify/", headers=bearer(tokens["access_token"]))
        assert verify.json()["organization"] == "second"
        default = await login(client, admin)
        verify = await client.get(
            "/api/auth/token/verify/", headers=bearer(default["access_token"])
        )
        assert verify.json()["organization"] == admin.org.slug

    async def test_each_login_is_its_own_session(self, client, admin):
        first = await login(client, admin)
        second = await login(client, admin)

        await client.post("/api/auth/logout/", headers=bearer(first["access_token"]))

        response = await client.get("/api/v1/users/me/", headers=bearer(second["access_token"]))
        assert response.status_code == 200


class TestRefusedAccessTokens:
    async def test_expired_access_token_is_token_expired(self, client, admin, secret):
        claims = jwt.decode(secret, (await login(client, admin))["access_token"], kind="access")
        expired = jwt.encode(
            secret,
            kind="access",
            user_id=admin.user.id,
            session_id=claims["sid"],
            org_id=admin.org.id,
            ttl_seconds=3600,
            now=utcnow() - timedelta(hours=2),
        )

        response = await client.get("/api/v1/users/me/", headers=bearer(expired))

        assert_error(response, 401, "token_expired", error="Token expired")

    async def test_token_signed_with_another_secret_is_invalid(self, client, admin, secret):
        claims = jwt.decode(secret, (await login(client, admin))["access_token"], kind="access")
        forged = jwt.encode(
            "not-the-instance-secret-" + "x" * 32,
            kind="access",
            user_id=admin.user.id,
            session_id=claims["sid"],
            org_id=admin.org.id,
            ttl_seconds=3600,
        )

        response = await client.get("/api/v1/users/me/", headers=bearer(forged))

        assert_error(response, 401, "invalid_token", error="Invalid token")

    async def test_tampered_token_is_invalid(self, client, admin):
        access = (await login(client, admin))["access_token"]
        header, payload, signature = access.split(".")
        tampered = f"{header}.{payload}.{signature[::-1]}"

        response = await client.get("/api/v1/users/me/", headers=bearer(tampered))

        assert_error(response, 401, "invalid_token")

    async def test_garbage_with_dots_is_invalid(self, client):
        response = await client.get("/api/v1/users/me/", headers=bearer("not.a.jwt"))

        assert_error(response, 401, "invalid_token")

    async def test_refresh_token_cannot_be_used_as_an_access_token(self, client, admin):
        refresh = (await login(client, admin))["refresh_token"]

        response = await client.get("/api/v1/users/me/", headers=bearer(refresh))

        assert_error(response, 401, "invalid_token")

    async def test_jwt_in_the_token_scheme_is_invalid(self, client, admin):
        access = (await login(client, admin))["access_token"]

        response = await client.get(
            "/api/v1/users/me/", headers={"Authorization": f"Token {access}"}
        )

        assert_error(response, 401, "invalid_token")

    async def test_disabled_users_access_token_stops_working(self, client, db, admin):
        viewer = await make_actor(db, org=admin.org, role="viewer")
        access = (await login(client, viewer))["access_token"]
        await client.patch(
            f"/api/v1/users/{viewer.user.id}/", json={"is_active": False}, headers=admin.headers
        )

        response = await client.get("/api/v1/users/me/", headers=bearer(access))

        assert_error(response, 401, "account_disabled")

    async def test_removed_members_access_token_stops_working(self, client, db, admin):
        viewer = await make_actor(db, org=admin.org, role="viewer")
        access = (await login(client, viewer))["access_token"]
        removed = await client.delete(f"/api/v1/users/{viewer.user.id}/", headers=admin.headers)
        assert removed.status_code == 204

        response = await client.get("/api/v1/users/me/", headers=bearer(access))

        assert_error(response, 401, "invalid_token")


class TestRefresh:
    async def test_refresh_token_field_gives_a_working_access_token(self, client, app, admin):
        tokens = await login(client, admin)

        response = await client.post(
            "/api/auth/refresh/", json={"refresh_token": tokens["refresh_token"]}
        )

        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == app.state.settings.access_token_ttl_seconds
        me = await client.get("/api/v1/users/me/", headers=bearer(body["access_token"]))
        assert me.status_code == 200
        assert me.json()["username"] == admin.user.username

    async def test_refresh_field_gives_a_working_access_token(self, client, admin):
        tokens = await login(client, admin)

        response = await client.post(
            "/api/auth/refresh/", json={"refresh": tokens["refresh_token"]}
        )

        assert response.status_code == 200
        me = await client.get("/api/v1/users/me/", headers=bearer(response.json()["access_token"]))
        assert me.status_code == 200

    async def test_refresh_token_can_be_used_more_than_once(self, client, admin):
        tokens = await login(client, admin)

        for _ in range(2):
            response = await client.post(
                "/api/auth/refresh/", json={"refresh_token": tokens["refresh_token"]}
            )
            assert response.status_code == 200

    async def test_refreshed_access_keeps_the_scopes_of_the_login(self, client, admin):
        tokens = await login(client, admin, scope="incident:read")

        refreshed = await client.post(
            "/api/auth/refresh/", json={"refresh_token": tokens["refresh_token"]}
        )

        verify = await client.get(
            "/api/auth/token/verify/", headers=bearer(refreshed.json()["access_token"])
        )
        assert verify.json()["scopes"] == ["incident:read"]

    async def test_access_token_cannot_refresh(self, client, admin):
        tokens = await login(client, admin)

        response = await client.post(
            "/api/auth/refresh/", json={"refresh_token": tokens["access_token"]}
        )

        assert_error(response, 401, "invalid_token")

    async def test_api_token_cannot_refresh(self, client, admin):
        response = await client.post("/api/auth/refresh/", json={"refresh_token": admin.token})

        assert_error(response, 401, "invalid_token")

    async def test_expired_refresh_token_is_token_expired(self, client, admin, secret):
        claims = jwt.decode(secret, (await login(client, admin))["refresh_token"], kind="refresh")
        expired = jwt.encode(
            secret,
            kind="refresh",
            user_id=admin.user.id,
            session_id=claims["sid"],
            org_id=admin.org.id,
            ttl_seconds=300,
            now=utcnow() - timedelta(days=1),
        )

        response = await client.post("/api/auth/refresh/", json={"refresh_token": expired})

        assert_error(response, 401, "token_expired")

    async def test_disabled_user_cannot_refresh(self, client, db, admin):
        viewer = await make_actor(db, org=admin.org, role="viewer")
        refresh = (await login(client, viewer))["refresh_token"]
        await client.patch(
            f"/api/v1/users/{viewer.user.id}/", json={"is_active": False}, headers=admin.headers
        )

        response = await client.post("/api/auth/refresh/", json={"refresh_token": refresh})

        assert_error(response, 401, "account_disabled")

    async def test_missing_refresh_token_is_a_validation_error(self, client):
        response = await client.post("/api/auth/refresh/", json={})

        body = assert_error(response, 400, "validation_error")
        assert "refresh_token" in body["details"]


class TestLogout:
    async def test_logout_answers_the_message(self, client, admin):
        tokens = await login(client, admin)

        response = await client.post("/api/auth/logout/", headers=bearer(tokens["access_token"]))

        assert response.status_code == 200
        assert response.json() == {"message": "Successfully logged out"}

    async def test_access_token_is_refused_after_logout(self, client, admin):
        tokens = await login(client, admin)
        await client.post("/api/auth/logout/", headers=bearer(tokens["access_token"]))

        response = await client.get("/api/v1/users/me/", headers=bearer(tokens["access_token"]))

        assert_error(response, 401, "token_expired")

    async def test_refresh_token_is_refused_after_logout(self, client, admin):
        tokens = await login(client, admin)
        await client.post("/api/auth/logout/", headers=bearer(tokens["access_token"]))

        response = await client.post(
            "/api/auth/refresh/", json={"refresh_token": tokens["refresh_token"]}
        )

        assert_error(response, 401, "token_expired")

    async def test_access_tokens_refreshed_before_logout_are_refused_after_it(self, client, admin):
        tokens = await login(client, admin)
        refreshed = await client.post(
            "/api/auth/refresh/", json={"refresh_token": tokens["refresh_token"]}
        )
        await client.post("/api/auth/logout/", headers=bearer(tokens["access_token"]))

        response = await client.get(
            "/api/v1/users/me/", headers=bearer(refreshed.json()["access_token"])
        )

        assert_error(response, 401, "token_expired")

    async def test_logout_leaves_the_users_api_tokens_working(self, client, admin):
        tokens = await login(client, admin)
        await client.post("/api/auth/logout/", headers=bearer(tokens["access_token"]))

        response = await client.get("/api/v1/users/me/", headers=admin.headers)

        assert response.status_code == 200

    async def test_logout_with_an_api_token_revokes_that_token(self, client, admin):
        response = await client.post("/api/auth/logout/", headers=admin.headers)

        assert response.status_code == 200
        assert response.json() == {"message": "Successfully logged out"}
        refused = await client.get("/api/v1/users/me/", headers=admin.headers)
        assert_error(refused, 401, "token_expired")

    async def test_logout_without_a_credential_is_not_authenticated(self, client):
        response = await client.post("/api/auth/logout/")

        assert_error(response, 401, "not_authenticated")


class TestLoginSecretsNeverLeak:
    async def test_login_answer_carries_no_password(self, client, admin):
        response = await client.post(
            "/api/auth/login/", json={"username": admin.user.username, "password": PASSWORD}
        )

        assert response.status_code == 200
        assert PASSWORD not in response.text
        assert set(response.json()) == {"access_token", "refresh_token", "token_type", "expires_in"}

    @pytest.mark.parametrize(
        "payload",
        [
            {"password": "s3cret-leak-me"},
            {"username": "someone", "password": "s3cret-leak-me" * 30},
            {"username": {"nested": True}, "password": "s3cret-leak-me"},
            {"username": "someone", "password": "s3cret-leak-me", "organization": "o" * 200},
        ],
        ids=["no-login", "password-too-long", "login-not-a-string", "organization-too-long"],
    )
    async def test_a_refused_json_login_does_not_echo_the_password(self, client, payload):
        response = await client.post("/api/auth/login/", json=payload)

        assert_error(response, 400, "validation_error")
        assert "s3cret-leak-me" not in response.text

    async def test_a_refused_form_login_does_not_echo_the_password(self, client):
        response = await client.post(
            "/api/auth/login/", data={"password": "s3cret-leak-me", "scope": "bogus"}
        )

        assert_error(response, 400, "validation_error")
        assert "s3cret-leak-me" not in response.text

    async def test_malformed_json_login_does_not_echo_the_password(self, client):
        response = await client.post(
            "/api/auth/login/",
            content=b'{"username": "someone", "password": "s3cret-leak-me"',
            headers={"Content-Type": "application/json"},
        )

        assert_error(response, 400, "malformed_json")
        assert "s3cret-leak-me" not in response.text

    async def test_a_refused_refresh_does_not_echo_the_token(self, client, admin):
        tokens = await login(client, admin)

        response = await client.post(
            "/api/auth/refresh/", json={"refresh_token": tokens["refresh_token"][:-4] + "AAAA"}
        )

        assert response.status_code == 401
        assert tokens["refresh_token"][:-4] not in response.text
