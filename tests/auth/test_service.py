"""The auth rules below the HTTP layer: passwords, stored tokens, scopes and JWT claims."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt as pyjwt
import pytest
from sqlalchemy import select

from imas.auth import jwt
from imas.auth.models import ApiToken
from imas.auth.scopes import ALL_SCOPES, ROLE_SCOPES, effective_scopes, validate_scopes
from imas.auth.service import (
    check_password,
    create_api_token,
    hash_token,
    membership_for,
    principal_from_api_token,
)
from imas.db import utcnow
from imas.errors import InvalidCredentials, NotAuthenticated, TokenExpired, ValidationFailed
from imas.orgs.models import Role, User
from tests.factories import PASSWORD

SECRET = "unit-test-secret-" + "s" * 32


class TestCheckPassword:
    async def test_username_and_password_give_the_user(self, db, admin):
        async with db.transaction() as session:
            user = await check_password(session, admin.user.username, PASSWORD)

        assert user.id == admin.user.id

    async def test_email_in_any_case_and_padded_gives_the_user(self, db, admin):
        async with db.transaction() as session:
            user = await check_password(session, f"  {admin.user.email.upper()} ", PASSWORD)

        assert user.id == admin.user.id

    async def test_wrong_password_is_refused(self, db, admin):
        async with db.transaction() as session:
            with pytest.raises(InvalidCredentials):
                await check_password(session, admin.user.username, "not-the-password")

    async def test_unknown_login_is_refused(self, db):
        async with db.transaction() as session:
            with pytest.raises(InvalidCredentials):
                await check_password(session, "nobody@example.com", PASSWORD)

    async def test_disabled_user_is_refused_even_with_the_right_password(self, db, admin):
        async with db.transaction() as session:
            user = await session.get(User, admin.user.id)
            user.is_active = False

        async with db.transaction() as session:
            with pytest.raises(InvalidCredentials):
                await check_password(session, admin.user.username, PASSWORD)

    async def test_password_is_stored_as_an_argon2id_hash(self, db, admin):
        async with db.transaction(write=False) as session:
            stored = await session.scalar(
                select(User.password_hash).where(User.id == admin.user.id)
            )

        assert stored.startswith("$argon2id$")
        assert PASSWORD not in stored


class TestStoredApiTokens:
    async def test_only_the_hash_and_a_prefix_are_stored(self, db, admin):
        async with db.transaction(write=False) as session:
            rows = (
                await session.scalars(
                    select(ApiToken)
                    .where(ApiToken.user_id == admin.user.id)
                    .execution_options(all_orgs=True)
                )
            ).all()

        (row,) = rows
        assert row.token_hash == hash_token(admin.token)
        assert row.prefix == admin.token[:8]
        stored = {c.name: getattr(row, c.key) for c in ApiToken.__table__.columns}
        assert admin.token not in {str(v) for v in stored.values()}

    async def test_scopes_are_kept_sorted_and_unique(self, db, admin):
        async with db.transaction() as session:
            membership, _ = await membership_for(session, admin.user, admin.org.slug)
            token, raw = await create_api_token(
                session,
                admin.user,
                membership,
                scopes=["webhook:read", "incident:read", "webhook:read"],
            )

        assert token.scopes == ["incident:read", "webhook:read"]
        async with db.transaction(write=False) as session:
            principal = await principal_from_api_token(session, raw)
        assert principal.scopes == {"incident:read", "webhook:read"}

    async def test_expiry_is_checked_when_the_token_is_used(self, db, admin):
        async with db.transaction() as session:
            membership, _ = await membership_for(session, admin.user, admin.org.slug)
            _, raw = await create_api_token(
                session, admin.user, membership, expires_at=utcnow() - timedelta(seconds=1)
            )

        async with db.transaction(write=False) as session:
            with pytest.raises(TokenExpired):
                await principal_from_api_token(session, raw)


class TestEffectiveScopes:
    @pytest.mark.parametrize("role", list(Role))
    def test_an_unlimited_credential_holds_its_role(self, role):
        assert effective_scopes(role, None) == ROLE_SCOPES[role]

    @pytest.mark.parametrize("role", list(Role))
    def test_asking_for_everything_never_exceeds_the_role(self, role):
        assert effective_scopes(role, ALL_SCOPES) == ROLE_SCOPES[role]

    def test_a_limit_narrows_the_role(self):
        assert effective_scopes("admin", ["incident:read"]) == {"incident:read"}

    def test_an_empty_limit_holds_nothing(self):
        assert effective_scopes("admin", []) == frozenset()

    def test_roles_are_nested(self):
        assert ROLE_SCOPES[Role.VIEWER] < ROLE_SCOPES[Role.RESPONDER] < ROLE_SCOPES[Role.ADMIN]
        assert "admin" not in ROLE_SCOPES[Role.RESPONDER]


class TestValidateScopes:
    def test_no_limit_stays_no_limit(self):
        assert validate_scopes(None) is None

    def test_known_scopes_come_back_sorted_and_unique(self):
        assert validate_scopes(["admin", "incident:read", "admin"]) == ["admin", "incident:read"]

    def test_unknown_scope_names_the_culprit(self):
        with pytest.raises(ValidationFailed) as caught:
            validate_scopes(["incident:read", "incident:obliterate"])

        assert "incident:obliterate" in caught.value.message
        assert "scopes" in caught.value.details


class TestJwtClaims:
    def _claims(self, kind, **overrides):
        values = {
            "kind": kind,
            "user_id": uuid.uuid4(),
            "session_id": uuid.uuid4(),
            "org_id": uuid.uuid4(),
            "ttl_seconds": 60,
        }
        values.update(overrides)
        return values

    def test_a_token_decodes_to_its_claims(self):
        claims = self._claims("access")
        token = jwt.encode(SECRET, **claims)

        decoded = jwt.decode(SECRET, token, kind="access")

        assert decoded["sub"] == str(claims["user_id"])
        assert decoded["sid"] == str(claims["session_id"])
        assert decoded["org"] == str(claims["org_id"])
        assert decoded["typ"] == "access"
        assert decoded["iss"] == "imas"
        assert decoded["exp"] - decoded["iat"] == 60

    def test_two_tokens_of_one_session_differ(self):
        claims = self._claims("access")

        assert jwt.encode(SECRET, **claims) != jwt.encode(SECRET, **claims)

    def test_a_refresh_token_is_not_an_access_token(self):
        token = jwt.encode(SECRET, **self._claims("refresh"))

        with pytest.raises(NotAuthenticated) as caught:
            jwt.decode(SECRET, token, kind="access")

        assert caught.value.code == "invalid_token"

    def test_an_expired_token_is_token_expired(self):
        token = jwt.encode(SECRET, **self._claims("access", now=utcnow() - timedelta(minutes=2)))

        with pytest.raises(TokenExpired):
            jwt.decode(SECRET, token, kind="access")

    def test_another_secret_is_invalid(self):
        token = jwt.encode("another-" + SECRET, **self._claims("access"))

        with pytest.raises(NotAuthenticated) as caught:
            jwt.decode(SECRET, token, kind="access")

        assert caught.value.code == "invalid_token"

    def test_a_token_without_a_session_is_invalid(self):
        now = utcnow()
        token = pyjwt.encode(
            {
                "iss": "imas",
                "typ": "access",
                "sub": "x",
                "org": "y",
                "iat": now,
                "exp": now + timedelta(minutes=1),
            },
            SECRET,
            algorithm="HS256",
        )

        with pytest.raises(NotAuthenticated) as caught:
            jwt.decode(SECRET, token, kind="access")

        assert caught.value.code == "invalid_token"

    def test_an_unsigned_token_is_invalid(self):
        now = utcnow()
        token = pyjwt.encode(
            {
                "iss": "imas",
                "typ": "access",
                "sub": "x",
                "sid": "y",
                "org": "z",
                "iat": now,
                "exp": now + timedelta(minutes=1),
            },
            None,
            algorithm="none",
        )

        with pytest.raises(NotAuthenticated) as caught:
            jwt.decode(SECRET, token, kind="access")

        assert caught.value.code == "invalid_token"
