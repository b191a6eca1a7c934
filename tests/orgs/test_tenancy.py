"""Tenancy: a session bound to one organization never reads or writes another's rows, and no
API call of a user of organization A reaches an object of organization B."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from imas.auth.models import ApiToken
from imas.db import Database, TenantMismatch, acting_in
from imas.orgs.models import Membership, Organization, Role, User
from tests.factories import Actor, make_actor
from tests.helpers import assert_error
from tests.orgs.helpers import bearer, login, without_id


async def rows_of(db: Database, model: Any, org: Organization) -> list[Any]:
    """What organization `org` holds of `model`, read through a session bound to it."""
    async with db.transaction(write=False) as session:
        session.info["organization_id"] = org.id
        return list((await session.scalars(select(model))).all())


async def membership_of(db: Database, actor: Actor) -> Membership:
    [found] = [m for m in await rows_of(db, Membership, actor.org) if m.user_id == actor.user.id]
    return found


async def token_of(db: Database, actor: Actor) -> ApiToken:
    [found] = [t for t in await rows_of(db, ApiToken, actor.org) if t.user_id == actor.user.id]
    return found


def bound(session: AsyncSession, org: Organization) -> AsyncSession:
    session.info["organization_id"] = org.id
    return session


async def run_in(
    db: Database, org: Organization, work: Callable[[AsyncSession], Awaitable[None]]
) -> None:
    """Do `work` in one transaction bound to `org`, as a request or a job of that org would."""
    async with db.transaction() as session:
        await work(bound(session, org))


async def new_user(session: AsyncSession, username: str) -> User:
    user = User(username=username, email=f"{username}@example.com")
    session.add(user)
    await session.flush()
    return user


class TestReadsAreScopedToTheSessionsOrganization:
    async def test_a_select_of_memberships_returns_only_that_organizations(
        self, db: Database, admin: Actor, viewer: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            rows = (await session.scalars(select(Membership))).all()

        assert {m.user_id for m in rows} == {admin.user.id, viewer.user.id}
        assert {m.organization_id for m in rows} == {admin.org.id}

    async def test_a_select_of_api_tokens_returns_only_that_organizations(
        self, db: Database, admin: Actor, viewer: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            rows = (await session.scalars(select(ApiToken))).all()

        assert {t.user_id for t in rows} == {admin.user.id, viewer.user.id}

    async def test_a_filter_naming_the_other_organization_still_finds_nothing(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            rows = (
                await session.scalars(
                    select(ApiToken).where(ApiToken.organization_id == outsider.org.id)
                )
            ).all()

        assert rows == []

    async def test_a_join_through_memberships_returns_only_that_organizations_users(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            users = (
                await session.scalars(select(User).join(Membership, Membership.user_id == User.id))
            ).all()

        assert [u.id for u in users] == [admin.user.id]

    async def test_a_count_covers_only_that_organization(
        self, db: Database, admin: Actor, viewer: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            count = await session.scalar(select(func.count()).select_from(Membership))

        assert count == 2

    async def test_getting_another_organizations_row_by_id_returns_none(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        theirs = await membership_of(db, outsider)
        their_token = await token_of(db, outsider)

        async with db.transaction() as session:
            bound(session, admin.org)
            assert await session.get(Membership, theirs.id) is None
            assert await session.get(ApiToken, their_token.id) is None

    async def test_getting_ones_own_row_by_id_works(self, db: Database, admin: Actor) -> None:
        mine = await membership_of(db, admin)

        async with db.transaction() as session:
            bound(session, admin.org)
            found = await session.get(Membership, mine.id)

        assert found is not None
        assert found.user_id == admin.user.id

    async def test_all_orgs_is_the_explicit_way_to_read_across_organizations(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            rows = (
                await session.scalars(select(Membership).execution_options(all_orgs=True))
            ).all()

        assert {m.organization_id for m in rows} == {admin.org.id, outsider.org.id}


class TestBulkStatementsAreScopedToTheSessionsOrganization:
    async def test_an_update_of_every_membership_changes_only_that_organizations(
        self, db: Database, admin: Actor, viewer: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            await session.execute(update(Membership).values(role=Role.RESPONDER))

        assert {m.role for m in await rows_of(db, Membership, admin.org)} == {"responder"}
        assert {m.role for m in await rows_of(db, Membership, outsider.org)} == {"admin"}

    async def test_an_update_aimed_at_another_organizations_row_changes_nothing(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        theirs = await membership_of(db, outsider)

        async with db.transaction() as session:
            bound(session, admin.org)
            result = await session.execute(
                update(Membership).where(Membership.id == theirs.id).values(role=Role.VIEWER)
            )

        assert result.rowcount == 0  # type: ignore[attr-defined]
        assert (await membership_of(db, outsider)).role == "admin"

    async def test_a_delete_of_every_token_removes_only_that_organizations(
        self, client: AsyncClient, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            await session.execute(delete(ApiToken))

        assert await rows_of(db, ApiToken, admin.org) == []
        assert len(await rows_of(db, ApiToken, outsider.org)) == 1
        response = await client.get("/api/v1/users/me/", headers=outsider.headers)
        assert response.status_code == 200

    async def test_a_delete_aimed_at_another_organizations_row_removes_nothing(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        theirs = await membership_of(db, outsider)

        async with db.transaction() as session:
            bound(session, admin.org)
            result = await session.execute(delete(Membership).where(Membership.id == theirs.id))

        assert result.rowcount == 0  # type: ignore[attr-defined]
        assert (await membership_of(db, outsider)).id == theirs.id


class TestWritingAnotherOrganizationsRowsIsRefused:
    async def test_flushing_a_membership_of_another_organization_raises_and_writes_nothing(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async def plant(session: AsyncSession) -> None:
            user = await new_user(session, "planted")
            session.add(
                Membership(organization_id=outsider.org.id, user_id=user.id, role=Role.ADMIN)
            )
            await session.flush()

        with pytest.raises(TenantMismatch):
            await run_in(db, admin.org, plant)

        assert [m.user_id for m in await rows_of(db, Membership, outsider.org)] == [
            outsider.user.id
        ]
        async with db.transaction(write=False) as session:
            assert await session.scalar(select(User).where(User.username == "planted")) is None

    async def test_flushing_an_api_token_of_another_organization_raises_and_writes_nothing(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async def plant(session: AsyncSession) -> None:
            session.add(
                ApiToken(
                    organization_id=outsider.org.id,
                    user_id=admin.user.id,
                    name="planted",
                    token_hash="f" * 64,
                    prefix="ffffffff",
                )
            )
            await session.flush()

        with pytest.raises(TenantMismatch):
            await run_in(db, admin.org, plant)

        assert [t.name for t in await rows_of(db, ApiToken, outsider.org)] == ["test"]

    async def test_changing_a_row_of_another_organization_raises_and_changes_nothing(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async def demote(session: AsyncSession) -> None:
            theirs = await session.scalar(
                select(Membership)
                .where(Membership.user_id == outsider.user.id)
                .execution_options(all_orgs=True)
            )
            assert theirs is not None
            theirs.role = Role.VIEWER
            await session.flush()

        with pytest.raises(TenantMismatch):
            await run_in(db, admin.org, demote)

        assert (await membership_of(db, outsider)).role == "admin"

    async def test_deleting_a_row_of_another_organization_raises_and_deletes_nothing(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async def remove(session: AsyncSession) -> None:
            theirs = await session.scalar(
                select(ApiToken)
                .where(ApiToken.user_id == outsider.user.id)
                .execution_options(all_orgs=True)
            )
            assert theirs is not None
            await session.delete(theirs)
            await session.flush()

        with pytest.raises(TenantMismatch):
            await run_in(db, admin.org, remove)

        assert len(await rows_of(db, ApiToken, outsider.org)) == 1

    async def test_moving_a_row_to_another_organization_raises(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async def move(session: AsyncSession) -> None:
            mine = await session.scalar(select(ApiToken).where(ApiToken.user_id == admin.user.id))
            assert mine is not None
            mine.organization_id = outsider.org.id
            await session.flush()

        with pytest.raises(TenantMismatch):
            await run_in(db, admin.org, move)

        assert len(await rows_of(db, ApiToken, admin.org)) == 1
        assert len(await rows_of(db, ApiToken, outsider.org)) == 1

    async def test_acting_in_another_organization_for_a_block_is_the_explicit_way(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            user = await new_user(session, "invited")
            with acting_in(session, outsider.org.id):
                session.add(
                    Membership(organization_id=outsider.org.id, user_id=user.id, role=Role.VIEWER)
                )
                await session.flush()
            assert session.info["organization_id"] == admin.org.id

        assert user.id in {m.user_id for m in await rows_of(db, Membership, outsider.org)}


class TestNewRowsBelongToTheSessionsOrganization:
    async def test_a_membership_without_an_organization_gets_the_sessions(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            user = await new_user(session, "stamped")
            membership = Membership(user_id=user.id, role=Role.VIEWER)
            session.add(membership)
            await session.flush()
            assert membership.organization_id == admin.org.id

        assert user.id in {m.user_id for m in await rows_of(db, Membership, admin.org)}
        assert user.id not in {m.user_id for m in await rows_of(db, Membership, outsider.org)}

    async def test_an_api_token_without_an_organization_gets_the_sessions(
        self, db: Database, admin: Actor
    ) -> None:
        async with db.transaction() as session:
            bound(session, admin.org)
            session.add(
                ApiToken(user_id=admin.user.id, name="stamped", token_hash="e" * 64, prefix="e" * 8)
            )

        assert "stamped" in {t.name for t in await rows_of(db, ApiToken, admin.org)}


def _object_urls(foreign: dict[str, uuid.UUID]) -> dict[str, str]:
    return {
        "organization": f"/api/v1/organizations/{foreign['organization']}/",
        "user": f"/api/v1/users/{foreign['user']}/",
        "token": f"/api/v1/tokens/{foreign['token']}/",
    }


# Every verb each kind of object answers to, with a body that would change it.
ROUTED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("organization", "GET", None),
    ("organization", "PATCH", {"name": "Taken over"}),
    ("user", "GET", None),
    ("user", "PATCH", {"role": "viewer", "is_active": False, "password": "taken-over-now"}),
    ("user", "DELETE", None),
    ("token", "DELETE", None),
]
# Verbs the API does not offer on these objects: the answer must not depend on whose id it is.
UNROUTED: list[tuple[str, str]] = [
    ("organization", "PUT"),
    ("organization", "DELETE"),
    ("user", "PUT"),
    ("token", "GET"),
    ("token", "PATCH"),
    ("token", "PUT"),
]


@pytest.fixture
async def member_of_b(db: Database, outsider: Actor) -> Actor:
    """A responder of organization B (the `outsider`'s), with an API token."""
    return await make_actor(db, org=outsider.org, role="responder")


@pytest.fixture
async def foreign(client: AsyncClient, outsider: Actor, member_of_b: Actor) -> dict[str, uuid.UUID]:
    """Ids of organization B's objects: the org, a member (not its only admin), their token."""
    tokens = (await client.get("/api/v1/tokens/", headers=member_of_b.headers)).json()
    return {
        "organization": outsider.org.id,
        "user": member_of_b.user.id,
        "token": uuid.UUID(tokens["results"][0]["id"]),
    }


class TestTenantIsolationSweep:
    @pytest.mark.parametrize(("kind", "method", "body"), ROUTED)
    async def test_another_organizations_object_is_not_found(
        self,
        client: AsyncClient,
        admin: Actor,
        outsider: Actor,
        foreign: dict[str, uuid.UUID],
        kind: str,
        method: str,
        body: dict[str, Any] | None,
    ) -> None:
        url = _object_urls(foreign)[kind]

        response = await client.request(method, url, json=body, headers=admin.headers)

        error = assert_error(response, 404, "not_found")
        assert str(foreign[kind]) in error["message"]

    @pytest.mark.parametrize(("kind", "method", "body"), ROUTED)
    async def test_another_organizations_object_looks_exactly_like_a_missing_one(
        self,
        client: AsyncClient,
        admin: Actor,
        foreign: dict[str, uuid.UUID],
        kind: str,
        method: str,
        body: dict[str, Any] | None,
    ) -> None:
        missing = uuid.uuid4()
        absent_url = _object_urls({**foreign, kind: missing})[kind]

        theirs = await client.request(
            method, _object_urls(foreign)[kind], json=body, headers=admin.headers
        )
        absent = await client.request(method, absent_url, json=body, headers=admin.headers)

        assert theirs.status_code == absent.status_code == 404
        assert without_id(theirs.json(), foreign[kind]) == without_id(absent.json(), missing)

    @pytest.mark.parametrize(("kind", "method", "body"), ROUTED)
    async def test_another_organizations_object_is_left_unchanged(
        self,
        client: AsyncClient,
        admin: Actor,
        outsider: Actor,
        member_of_b: Actor,
        foreign: dict[str, uuid.UUID],
        kind: str,
        method: str,
        body: dict[str, Any] | None,
    ) -> None:
        await client.request(method, _object_urls(foreign)[kind], json=body, headers=admin.headers)

        org = await client.get(
            f"/api/v1/organizations/{outsider.org.id}/", headers=outsider.headers
        )
        member = await client.get("/api/v1/users/me/", headers=member_of_b.headers)
        tokens = (await client.get("/api/v1/tokens/", headers=member_of_b.headers)).json()
        assert org.json()["name"] == outsider.org.name
        assert member.status_code == 200
        assert (member.json()["role"], member.json()["is_active"]) == ("responder", True)
        assert [(t["id"], t["revoked_at"]) for t in tokens["results"]] == [
            (str(foreign["token"]), None)
        ]
        relogin = await login(client, member_of_b.user.username, member_of_b.password)
        assert relogin.status_code == 200

    @pytest.mark.parametrize(("kind", "method"), UNROUTED)
    async def test_a_verb_not_offered_answers_the_same_for_any_id(
        self,
        client: AsyncClient,
        admin: Actor,
        foreign: dict[str, uuid.UUID],
        kind: str,
        method: str,
    ) -> None:
        missing = uuid.uuid4()

        theirs = await client.request(method, _object_urls(foreign)[kind], headers=admin.headers)
        absent = await client.request(
            method, _object_urls({**foreign, kind: missing})[kind], headers=admin.headers
        )

        assert theirs.status_code == absent.status_code
        assert theirs.status_code >= 400
        assert without_id(theirs.json(), foreign[kind]) == without_id(absent.json(), missing)

    async def test_lists_never_show_another_organizations_objects(
        self, client: AsyncClient, admin: Actor, foreign: dict[str, uuid.UUID]
    ) -> None:
        orgs = (await client.get("/api/v1/organizations/", headers=admin.headers)).text
        users = (await client.get("/api/v1/users/", headers=admin.headers)).text
        tokens = (await client.get("/api/v1/tokens/", headers=admin.headers)).text

        assert str(foreign["organization"]) not in orgs
        assert str(foreign["user"]) not in users
        assert str(foreign["token"]) not in tokens

    async def test_a_member_of_both_organizations_sees_only_the_one_they_act_in(
        self, client: AsyncClient, admin: Actor, foreign: dict[str, uuid.UUID]
    ) -> None:
        created = await client.post(
            "/api/v1/organizations/", json={"name": "Elsewhere"}, headers=admin.headers
        )
        elsewhere = await bearer(
            client, admin.user.username, admin.password, created.json()["slug"]
        )

        members = (await client.get("/api/v1/users/", headers=elsewhere)).json()
        own_token = (await client.get("/api/v1/tokens/", headers=admin.headers)).json()
        own_token_id = own_token["results"][0]["id"]
        revoke = await client.delete(f"/api/v1/tokens/{own_token_id}/", headers=elsewhere)

        assert [u["username"] for u in members["results"]] == [admin.user.username]
        assert_error(revoke, 404, "not_found")
        assert (await client.get("/api/v1/users/me/", headers=admin.headers)).status_code == 200
