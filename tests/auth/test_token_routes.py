"""API tokens as a user meets them: obtain, use, verify, list, revoke, let expire."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from imas.auth.service import create_api_token, hash_token, membership_for
from imas.db import utcnow
from imas.orgs.models import User
from tests.factories import PASSWORD, make_actor
from tests.helpers import assert_error


async def obtain_token(client, login: str, password: str = PASSWORD, **extra) -> dict:
    response = await client.post(
        "/api/auth/token/", json={"username": login, "password": password, **extra}
    )
    assert response.status_code == 200, response.text
    return response.json()


def token_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


async def jwt_login(client, actor) -> dict:
    response = await client.post(
        "/api/auth/login/", json={"username": actor.user.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
async def viewer(db, admin):
    """A viewer in the admin's organization."""
    return await make_actor(db, org=admin.org, role="viewer")


@pytest.fixture
async def responder(db, admin):
    """A responder in the admin's organization."""
    return await make_actor(db, org=admin.org, role="responder")


class TestObtainToken:
    async def test_json_credentials_return_the_seed_fields(self, client, admin):
        response = await client.post(
            "/api/auth/token/", json={"username": admin.user.username, "password": PASSWORD}
        )

        assert response.status_code == 200
        body = response.json()
        assert body["username"] == admin.user.username
        assert body["user_id"] == str(admin.user.id)
        assert body["created"] is True
        assert len(body["token"]) == 40
        assert body["access_token"] == body["token"]
        assert body["organization"] == admin.org.slug

    async def test_form_encoded_credentials_return_a_token(self, client, admin):
        response = await client.post(
            "/api/auth/token/", data={"username": admin.user.username, "password": PASSWORD}
        )

        assert response.status_code == 200
        body = response.json()
        assert body["username"] == admin.user.username
        assert body["user_id"] == str(admin.user.id)
        assert body["created"] is True
        verify = await client.get("/api/auth/token/verify/", headers=token_header(body["token"]))
        assert verify.status_code == 200

    async def test_form_encoded_scopes_limit_the_token(self, client, admin):
        response = await client.post(
            "/api/auth/token/",
            data={
                "username": admin.user.username,
                "password": PASSWORD,
                "scopes": ["incident:read", "webhook:read"],
            },
        )

        assert response.status_code == 200
        assert response.json()["scopes"] == ["incident:read", "webhook:read"]

    async def test_new_token_works_with_the_token_scheme(self, client, admin):
        token = (await obtain_token(client, admin.user.username))["token"]

        response = await client.get(
            "/api/v1/users/me/", headers={"Authorization": f"Token {token}"}
        )

        assert response.status_code == 200
        assert response.json()["username"] == admin.user.username

    async def test_new_token_works_with_the_bearer_scheme(self, client, admin):
        token = (await obtain_token(client, admin.user.username))["token"]

        response = await client.get(
            "/api/v1/users/me/", headers={"Authorization": f"Bearer {token}"}
        )

        assert response.status_code == 200
        assert response.json()["username"] == admin.user.username

    async def test_each_request_gives_a_new_token_and_older_ones_keep_working(self, client, admin):
        first = (await obtain_token(client, admin.user.username))["token"]
        second = (await obtain_token(client, admin.user.username))["token"]

        assert first != second
        for token in (first, second, admin.token):
            response = await client.get("/api/auth/token/verify/", headers=token_header(token))
            assert response.status_code == 200

    async def test_email_works_as_the_login(self, client, admin):
        response = await client.post(
            "/api/auth/token/", json={"email": admin.user.email, "password": PASSWORD}
        )

        assert response.status_code == 200
        assert response.json()["username"] == admin.user.username

    async def test_email_in_the_username_field_works_whatever_its_case(self, client, admin):
        body = await obtain_token(client, admin.user.email.upper())

        assert body["username"] == admin.user.username

    async def test_expiry_in_days_sets_the_expiry_date(self, client, admin):
        body = await obtain_token(client, admin.user.username, expires_in_days=30)

        assert body["expires_at"] is not None
        listed = await client.get("/api/v1/tokens/", headers=token_header(body["token"]))
        mine = next(t for t in listed.json()["results"] if t["id"] == body["token_id"])
        assert mine["expires_at"] == body["expires_at"]

    async def test_wrong_password_is_invalid_credentials(self, client, admin):
        response = await client.post(
            "/api/auth/token/", json={"username": admin.user.username, "password": "wrong-one"}
        )

        assert_error(response, 401, "invalid_credentials", error="Invalid credentials")
        assert "www-authenticate" in response.headers

    async def test_unknown_user_gets_the_same_answer_as_a_wrong_password(self, client, admin):
        wrong_password = await client.post(
            "/api/auth/token/", json={"username": admin.user.username, "password": "wrong-one"}
        )
        unknown_user = await client.post(
            "/api/auth/token/", json={"username": "nobody-here", "password": "wrong-one"}
        )

        first = assert_error(wrong_password, 401, "invalid_credentials", "Invalid credentials")
        second = assert_error(unknown_user, 401, "invalid_credentials", "Invalid credentials")
        assert first["message"] == second["message"]
        assert first["details"] == second["details"]

    async def test_inactive_user_cannot_obtain_a_token(self, client, admin, viewer):
        disabled = await client.patch(
            f"/api/v1/users/{viewer.user.id}/", json={"is_active": False}, headers=admin.headers
        )
        assert disabled.status_code == 200

        response = await client.post(
            "/api/auth/token/", json={"username": viewer.user.username, "password": PASSWORD}
        )

        assert_error(response, 401, "invalid_credentials", error="Invalid credentials")

    async def test_missing_password_is_a_validation_error_on_password(self, client, admin):
        response = await client.post("/api/auth/token/", json={"username": admin.user.username})

        body = assert_error(response, 400, "validation_error", error="Validation failed")
        assert "password" in body["details"]

    async def test_missing_password_in_a_form_is_a_validation_error(self, client, admin):
        response = await client.post("/api/auth/token/", data={"username": admin.user.username})

        body = assert_error(response, 400, "validation_error")
        assert "password" in body["details"]

    async def test_missing_login_is_a_validation_error(self, client):
        response = await client.post("/api/auth/token/", json={"password": PASSWORD})

        assert_error(response, 400, "validation_error")

    async def test_malformed_json_is_refused(self, client):
        response = await client.post(
            "/api/auth/token/",
            content=b'{"username": "admin", ',
            headers={"Content-Type": "application/json"},
        )

        assert_error(response, 400, "malformed_json")

    async def test_unknown_scope_is_refused(self, client, admin):
        response = await client.post(
            "/api/auth/token/",
            json={
                "username": admin.user.username,
                "password": PASSWORD,
                "scopes": ["incident:read", "launch:missiles"],
            },
        )

        body = assert_error(response, 400, "validation_error")
        assert "scopes" in body["details"]
        assert "launch:missiles" in body["message"]

    async def test_organization_the_user_is_not_a_member_of_is_forbidden(
        self, client, admin, outsider
    ):
        response = await client.post(
            "/api/auth/token/",
            json={
                "username": admin.user.username,
                "password": PASSWORD,
                "organization": outsider.org.slug,
            },
        )

        body = assert_error(response, 403, "permission_denied")
        assert body["details"] == {"organization": outsider.org.slug}

    async def test_organization_by_id_the_user_is_not_a_member_of_is_forbidden(
        self, client, admin, outsider
    ):
        response = await client.post(
            "/api/auth/token/",
            json={
                "username": admin.user.username,
                "password": PASSWORD,
                "organization": str(outsider.org.id),
            },
        )

        assert_error(response, 403, "permission_denied")

    async def test_member_of_two_organizations_chooses_where_the_token_acts(self, client, admin):
        created = await client.post(
            "/api/v1/organizations/",
            json={"name": "Second", "slug": "second"},
            headers=admin.headers,
        )
        assert created.status_code == 201

        body = await obtain_token(client, admin.user.username, organization="second")

        assert body["organization"] == "second"
        verify = await client.get("/api/auth/token/verify/", headers=token_header(body["token"]))
        assert verify.json()["organization"] == "second"
        by_id = await obtain_token(client, admin.user.username, organization=created.json()["id"])
        assert by_id["organization"] == "second"


class TestRevokeToken:
    async def test_revoking_answers_the_seed_message(self, client, admin):
        response = await client.post("/api/auth/token/revoke/", headers=admin.headers)

        assert response.status_code == 200
        assert response.json() == {"message": "Token revoked successfully"}

    async def test_revoked_token_is_refused_as_expired(self, client, admin):
        await client.post("/api/auth/token/revoke/", headers=admin.headers)

        response = await client.get("/api/auth/token/verify/", headers=admin.headers)

        assert_error(response, 401, "token_expired", error="Token expired")

    async def test_revoked_token_cannot_revoke_again(self, client, admin):
        await client.post("/api/auth/token/revoke/", headers=admin.headers)

        response = await client.post("/api/auth/token/revoke/", headers=admin.headers)

        assert_error(response, 401, "token_expired")

    async def test_other_tokens_of_the_user_keep_working(self, client, admin):
        other = (await obtain_token(client, admin.user.username))["token"]

        await client.post("/api/auth/token/revoke/", headers=admin.headers)

        response = await client.get("/api/auth/token/verify/", headers=token_header(other))
        assert response.status_code == 200

    async def test_revoking_with_a_jwt_is_refused(self, client, admin):
        access = (await jwt_login(client, admin))["access_token"]

        response = await client.post(
            "/api/auth/token/revoke/", headers={"Authorization": f"Bearer {access}"}
        )

        assert_error(response, 400, "wrong_credential")
        still = await client.get(
            "/api/auth/token/verify/", headers={"Authorization": f"Bearer {access}"}
        )
        assert still.status_code == 200

    async def test_revoking_without_a_credential_is_not_authenticated(self, client):
        response = await client.post("/api/auth/token/revoke/")

        assert_error(response, 401, "not_authenticated")


class TestVerifyToken:
    async def test_valid_token_is_described(self, client, admin):
        response = await client.get("/api/auth/token/verify/", headers=admin.headers)

        assert response.status_code == 200
        body = response.json()
        assert body["valid"] is True
        assert body["user_id"] == str(admin.user.id)
        assert body["username"] == admin.user.username
        assert body["organization"] == admin.org.slug

    async def test_valid_token_in_the_bearer_scheme_is_described(self, client, admin):
        response = await client.get(
            "/api/auth/token/verify/", headers={"Authorization": f"Bearer {admin.token}"}
        )

        assert response.status_code == 200
        assert response.json()["username"] == admin.user.username

    async def test_unknown_token_is_invalid(self, client, admin):
        response = await client.get("/api/auth/token/verify/", headers=token_header("0" * 40))

        assert_error(response, 401, "invalid_token", error="Invalid token")

    async def test_missing_header_is_not_authenticated(self, client):
        response = await client.get("/api/auth/token/verify/")

        assert_error(response, 401, "not_authenticated", error="Authentication required")
        assert "www-authenticate" in response.headers

    @pytest.mark.parametrize("header", ["Basic x", "Token", "Token   ", "Bearer", "x"])
    async def test_malformed_header_is_refused(self, client, admin, header):
        response = await client.get("/api/auth/token/verify/", headers={"Authorization": header})

        assert_error(response, 401, "invalid_token")


class TestExpiringToken:
    async def _token_expiring_at(self, db, actor, when):
        async with db.transaction() as session:
            membership, _ = await membership_for(session, actor.user, actor.org.slug)
            _, raw = await create_api_token(
                session, actor.user, membership, name="ci", expires_at=when
            )
        return raw

    async def test_token_past_its_expiry_is_refused_as_expired(self, client, db, admin):
        raw = await self._token_expiring_at(db, admin, utcnow() - timedelta(minutes=1))

        response = await client.get("/api/auth/token/verify/", headers=token_header(raw))

        assert_error(response, 401, "token_expired", error="Token expired")

    async def test_token_before_its_expiry_works(self, client, db, admin):
        raw = await self._token_expiring_at(db, admin, utcnow() + timedelta(hours=1))

        response = await client.get("/api/auth/token/verify/", headers=token_header(raw))

        assert response.status_code == 200


class TestDisabledAccount:
    async def test_disabled_users_existing_token_stops_working(self, client, admin, viewer):
        before = await client.get("/api/v1/users/me/", headers=viewer.headers)
        assert before.status_code == 200

        disabled = await client.patch(
            f"/api/v1/users/{viewer.user.id}/", json={"is_active": False}, headers=admin.headers
        )
        assert disabled.status_code == 200

        after = await client.get("/api/v1/users/me/", headers=viewer.headers)
        assert_error(after, 401, "account_disabled")

    async def test_removed_members_token_stops_working(self, client, admin, viewer):
        removed = await client.delete(f"/api/v1/users/{viewer.user.id}/", headers=admin.headers)
        assert removed.status_code == 204

        response = await client.get("/api/v1/users/me/", headers=viewer.headers)

        assert response.status_code == 401


class TestListTokens:
    async def test_lists_only_the_callers_tokens(self, client, admin, viewer, outsider):
        second = await obtain_token(client, admin.user.username, name="laptop")

        response = await client.get("/api/v1/tokens/", headers=admin.headers)

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2
        assert {t["name"] for t in body["results"]} == {"test", "laptop"}
        assert second["token_id"] in {t["id"] for t in body["results"]}
        assert {t["prefix"] for t in body["results"]} == {admin.token[:8], second["token"][:8]}

    async def test_each_user_sees_their_own_tokens(self, client, admin, viewer):
        response = await client.get("/api/v1/tokens/", headers=viewer.headers)

        assert response.status_code == 200
        results = response.json()["results"]
        assert [t["prefix"] for t in results] == [viewer.token[:8]]

    async def test_shows_a_prefix_never_the_token_or_its_hash(self, client, admin):
        response = await client.get("/api/v1/tokens/", headers=admin.headers)

        assert response.status_code == 200
        (item,) = response.json()["results"]
        assert item["prefix"] == admin.token[:8]
        assert "token" not in item
        assert "token_hash" not in item
        assert admin.token not in response.text
        assert hash_token(admin.token) not in response.text

    async def test_lists_only_tokens_of_the_organization_acted_in(self, client, admin):
        await client.post(
            "/api/v1/organizations/",
            json={"name": "Second", "slug": "second"},
            headers=admin.headers,
        )
        there = await obtain_token(client, admin.user.username, organization="second")

        here = await client.get("/api/v1/tokens/", headers=admin.headers)
        elsewhere = await client.get("/api/v1/tokens/", headers=token_header(there["token"]))

        assert [t["prefix"] for t in here.json()["results"]] == [admin.token[:8]]
        assert [t["id"] for t in elsewhere.json()["results"]] == [there["token_id"]]

    async def test_listing_requires_a_credential(self, client):
        response = await client.get("/api/v1/tokens/")

        assert_error(response, 401, "not_authenticated")


class TestDeleteToken:
    async def test_deleting_one_of_your_tokens_revokes_it(self, client, admin):
        laptop = await obtain_token(client, admin.user.username, name="laptop")

        response = await client.delete(
            f"/api/v1/tokens/{laptop['token_id']}/", headers=admin.headers
        )

        assert response.status_code == 204
        assert response.content == b""
        refused = await client.get("/api/auth/token/verify/", headers=token_header(laptop["token"]))
        assert_error(refused, 401, "token_expired")
        still = await client.get("/api/auth/token/verify/", headers=admin.headers)
        assert still.status_code == 200

    async def test_deleted_token_is_listed_as_revoked(self, client, admin):
        laptop = await obtain_token(client, admin.user.username, name="laptop")
        await client.delete(f"/api/v1/tokens/{laptop['token_id']}/", headers=admin.headers)

        response = await client.get("/api/v1/tokens/", headers=admin.headers)

        listed = {t["id"]: t for t in response.json()["results"]}
        assert listed[laptop["token_id"]]["revoked_at"] is not None

    async def test_another_organizations_token_is_not_found(self, client, admin, outsider):
        theirs = await client.get("/api/v1/tokens/", headers=outsider.headers)
        (their_token,) = theirs.json()["results"]

        response = await client.delete(
            f"/api/v1/tokens/{their_token['id']}/", headers=admin.headers
        )

        body = assert_error(response, 404, "not_found")
        assert body["details"]["id"] == their_token["id"]
        untouched = await client.get("/api/auth/token/verify/", headers=outsider.headers)
        assert untouched.status_code == 200

    async def test_own_token_of_another_organization_is_not_found(self, client, admin):
        await client.post(
            "/api/v1/organizations/",
            json={"name": "Second", "slug": "second"},
            headers=admin.headers,
        )
        there = await obtain_token(client, admin.user.username, organization="second")

        response = await client.delete(
            f"/api/v1/tokens/{there['token_id']}/", headers=admin.headers
        )

        assert_error(response, 404, "not_found")
        untouched = await client.get(
            "/api/auth/token/verify/", headers=token_header(there["token"])
        )
        assert untouched.status_code == 200

    async def test_unknown_token_id_is_not_found(self, client, admin):
        response = await client.delete(f"/api/v1/tokens/{uuid.uuid4()}/", headers=admin.headers)

        assert_error(response, 404, "not_found")

    async def test_member_cannot_revoke_a_colleagues_token(self, client, admin, responder):
        mine = await client.get("/api/v1/tokens/", headers=admin.headers)
        (admin_token,) = mine.json()["results"]

        response = await client.delete(
            f"/api/v1/tokens/{admin_token['id']}/", headers=responder.headers
        )

        assert_error(response, 404, "not_found")
        still = await client.get("/api/auth/token/verify/", headers=admin.headers)
        assert still.status_code == 200

    async def test_admin_may_revoke_a_colleagues_token(self, client, admin, responder):
        theirs = await client.get("/api/v1/tokens/", headers=responder.headers)
        (their_token,) = theirs.json()["results"]

        response = await client.delete(
            f"/api/v1/tokens/{their_token['id']}/", headers=admin.headers
        )

        assert response.status_code == 204
        refused = await client.get("/api/auth/token/verify/", headers=responder.headers)
        assert_error(refused, 401, "token_expired")

    async def test_deleting_requires_a_credential(self, client, admin):
        response = await client.delete(f"/api/v1/tokens/{uuid.uuid4()}/")

        assert_error(response, 401, "not_authenticated")


class TestSecretsNeverLeak:
    async def test_no_answer_carries_a_password_or_a_token_hash(self, client, db, admin, viewer):
        async with db.transaction(write=False) as session:
            stored_hash = await session.scalar(
                select(User.password_hash).where(User.id == admin.user.id)
            )
        new = await obtain_token(client, admin.user.username, name="laptop")
        responses = [
            await client.post(
                "/api/auth/token/", json={"username": admin.user.username, "password": PASSWORD}
            ),
            await client.get("/api/auth/token/verify/", headers=admin.headers),
            await client.get("/api/v1/tokens/", headers=admin.headers),
            await client.get("/api/v1/users/me/", headers=admin.headers),
            await client.get("/api/v1/users/", headers=admin.headers),
            await client.get(f"/api/v1/users/{admin.user.id}/", headers=admin.headers),
            await client.post(
                "/api/auth/login/", json={"username": admin.user.username, "password": PASSWORD}
            ),
            await client.post(
                "/api/auth/token/", json={"username": admin.user.username, "password": "nope-nope"}
            ),
        ]

        for response in responses:
            assert response.status_code < 500
            text = response.text
            assert PASSWORD not in text
            assert stored_hash not in text
            assert "password_hash" not in text
            assert "$argon2" not in text
            for raw in (admin.token, viewer.token, new["token"]):
                assert hash_token(raw) not in text

    @pytest.mark.parametrize(
        "payload",
        [
            {"password": "s3cret-leak-me"},
            {"username": "someone", "password": "s3cret-leak-me" * 30},
            {"username": ["a", "b"], "password": "s3cret-leak-me"},
        ],
        ids=["no-login", "password-too-long", "login-not-a-string"],
    )
    async def test_a_refused_token_request_does_not_echo_the_password(self, client, payload):
        response = await client.post("/api/auth/token/", json=payload)

        assert_error(response, 400, "validation_error")
        assert "s3cret-leak-me" not in response.text


class TestLoginNamingTwoUsers:
    """A username may read like another user's e-mail: each user still logs in with their own
    password, whichever of the two accounts was created first."""

    async def test_user_named_like_an_existing_email_logs_in(self, client, admin, outsider):
        created = await client.post(
            "/api/v1/users/",
            json={"username": admin.user.email, "password": "their-own-password"},
            headers=outsider.headers,
        )
        assert created.status_code == 201

        theirs = await client.post(
            "/api/auth/token/",
            json={"username": admin.user.email, "password": "their-own-password"},
        )
        mine = await client.post(
            "/api/auth/token/", json={"email": admin.user.email, "password": PASSWORD}
        )

        assert theirs.status_code == 200, theirs.text
        assert theirs.json()["user_id"] == created.json()["id"]
        assert theirs.json()["organization"] == outsider.org.slug
        assert mine.status_code == 200, mine.text
        assert mine.json()["user_id"] == str(admin.user.id)

    async def test_email_taken_after_a_username_of_that_shape_logs_in(
        self, client, admin, outsider
    ):
        shared = "shared.login@example.com"
        created = await client.post(
            "/api/v1/users/",
            json={"username": shared, "password": "their-own-password"},
            headers=outsider.headers,
        )
        assert created.status_code == 201
        changed = await client.put(
            "/api/v1/users/me/", json={"email": shared}, headers=admin.headers
        )
        assert changed.status_code == 200

        mine = await client.post("/api/auth/token/", json={"email": shared, "password": PASSWORD})
        theirs = await client.post(
            "/api/auth/token/", json={"username": shared, "password": "their-own-password"}
        )

        assert mine.status_code == 200, mine.text
        assert mine.json()["user_id"] == str(admin.user.id)
        assert theirs.status_code == 200, theirs.text
        assert theirs.json()["user_id"] == created.json()["id"]

    async def test_wrong_password_for_both_is_invalid_credentials(self, client, admin, outsider):
        await client.post(
            "/api/v1/users/",
            json={"username": admin.user.email, "password": "their-own-password"},
            headers=outsider.headers,
        )

        response = await client.post(
            "/api/auth/token/", json={"username": admin.user.email, "password": "neither-one"}
        )

        assert_error(response, 401, "invalid_credentials", error="Invalid credentials")
