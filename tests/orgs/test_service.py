"""The tenancy domain's rules and queries, called as jobs and the CLI call them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from imas.db import Database
from imas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from imas.orgs import repository, service
from imas.orgs.models import Membership, Role, User
from imas.orgs.schemas import MeUpdate, OrganizationCreate, UserCreate, UserUpdate
from tests.factories import Actor, make_actor, make_org


class TestSlugify:
    @pytest.mark.parametrize(
        ("name", "slug"),
        [
            ("Acme Corp", "acme-corp"),
            ("  ACME   corp  ", "acme-corp"),
            ("R&D / Ops 2", "r-d-ops-2"),
            ("!!!", "org"),
        ],
    )
    def test_a_name_becomes_a_url_safe_slug(self, name: str, slug: str) -> None:
        assert service.slugify(name) == slug

    def test_a_long_name_gives_a_slug_of_at_most_60_characters(self) -> None:
        assert len(service.slugify("word " * 40)) <= 60


class TestCreateOrganization:
    async def test_without_a_creator_it_has_no_members(self, db: Database) -> None:
        async with db.transaction() as session:
            org = await service.create_organization(
                session, None, OrganizationCreate(name="Headless")
            )

        async with db.transaction(write=False) as session:
            session.info["organization_id"] = org.id
            assert (await session.scalars(select(Membership))).all() == []

    async def test_its_creator_becomes_its_only_admin(self, db: Database, admin: Actor) -> None:
        async with db.transaction() as session:
            org = await service.create_organization(
                session, admin.user, OrganizationCreate(name="Created")
            )

        async with db.transaction(write=False) as session:
            session.info["organization_id"] = org.id
            members = (await session.scalars(repository.members())).all()
        assert [(m.user_id, m.role) for m in members] == [(admin.user.id, "admin")]

    async def test_a_taken_explicit_slug_is_a_conflict(self, db: Database) -> None:
        taken = await make_org(db)

        with pytest.raises(Conflict) as raised:
            async with db.transaction() as session:
                await service.create_organization(
                    session, None, OrganizationCreate(name="Again", slug=taken.slug)
                )

        assert raised.value.details == {"slug": [f"'{taken.slug}' is taken"]}

    async def test_a_taken_derived_slug_gets_a_random_suffix(self, db: Database) -> None:
        async with db.transaction() as session:
            first = await service.create_organization(session, None, OrganizationCreate(name="X Y"))
            second = await service.create_organization(
                session, None, OrganizationCreate(name="X Y")
            )

        assert first.slug == "x-y"
        assert second.slug.startswith("x-y-")


class TestCreateUser:
    async def test_makes_a_member_with_the_given_role(self, db: Database) -> None:
        org = await make_org(db)

        async with db.transaction() as session:
            membership = await service.create_user(
                session,
                org.id,
                UserCreate(username="ada", password="long-enough", email="Ada@Example.com"),
            )

        assert membership.organization_id == org.id
        assert membership.role == Role.VIEWER
        assert membership.user.username == "ada"
        assert membership.user.email == "ada@example.com"
        assert membership.user.password_hash not in (None, "long-enough")

    async def test_a_taken_username_is_a_conflict_even_in_another_org(
        self, db: Database, outsider: Actor
    ) -> None:
        org = await make_org(db)

        with pytest.raises(Conflict) as raised:
            async with db.transaction() as session:
                await service.create_user(
                    session,
                    org.id,
                    UserCreate(username=outsider.user.username, password="long-enough"),
                )

        assert raised.value.error == "User already exists"
        assert "username" in raised.value.details

    async def test_a_taken_email_is_a_conflict(self, db: Database, outsider: Actor) -> None:
        assert outsider.user.email is not None
        org = await make_org(db)

        with pytest.raises(Conflict) as raised:
            async with db.transaction() as session:
                await service.create_user(
                    session,
                    org.id,
                    UserCreate(
                        username="fresh", password="long-enough", email=outsider.user.email.upper()
                    ),
                )

        assert "email" in raised.value.details


class TestRepositoryScope:
    async def test_members_are_those_of_the_sessions_organization(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction(write=False) as session:
            session.info["organization_id"] = admin.org.id
            members = (await session.scalars(repository.members())).all()
            theirs = await repository.member(session, outsider.user.id)

        assert [m.user.username for m in members] == [admin.user.username]
        assert theirs is None

    async def test_admins_of_other_organizations_are_not_counted(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        await make_actor(db, org=outsider.org, role="admin")

        async with db.transaction(write=False) as session:
            session.info["organization_id"] = admin.org.id
            assert await repository.count_admins(session) == 1

    async def test_inactive_admins_are_not_counted(self, db: Database, admin: Actor) -> None:
        dormant = await make_actor(db, org=admin.org, role="admin")
        async with db.transaction() as session:
            user = await session.get(User, dormant.user.id)
            assert user is not None
            user.is_active = False

        async with db.transaction(write=False) as session:
            session.info["organization_id"] = admin.org.id
            assert await repository.count_admins(session) == 1

    async def test_organizations_of_a_user_are_those_they_belong_to(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction(write=False) as session:
            session.info["organization_id"] = admin.org.id
            orgs = (await session.scalars(repository.organizations_of(admin.user.id))).all()
            roles = await repository.roles_of(session, admin.user.id)

        assert [o.id for o in orgs] == [admin.org.id]
        assert roles == {admin.org.id: "admin"}


class TestMembers:
    async def test_a_member_of_another_organization_is_not_found(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction(write=False) as session:
            session.info["organization_id"] = admin.org.id
            with pytest.raises(NotFound):
                await service.get_member(session, outsider.user.id)

    async def test_the_last_admin_cannot_be_removed(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            session.info["organization_id"] = admin.org.id
            membership = await service.get_member(session, admin.user.id)
            with pytest.raises(Conflict) as raised:
                await service.remove_member(session, membership)

        assert raised.value.code == "last_admin"

    async def test_the_account_of_a_member_of_several_orgs_is_left_to_its_owner(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            await service.create_organization(
                session, outsider.user, OrganizationCreate(name="Shared")
            )
            await service.create_organization(
                session, admin.user, OrganizationCreate(name="Mine Too")
            )

        async with db.transaction() as session:
            session.info["organization_id"] = admin.org.id
            membership = await service.get_member(session, admin.user.id)
            change = UserUpdate(password="another-one", name="Renamed")
            with pytest.raises(PermissionDenied) as raised:
                await service.update_member(session, membership, change)

        assert set(raised.value.details) == {"password", "name"}

    async def test_sending_a_shared_accounts_unchanged_values_is_fine(
        self, db: Database, admin: Actor
    ) -> None:
        async with db.transaction() as session:
            await service.create_organization(session, admin.user, OrganizationCreate(name="Two"))

        async with db.transaction() as session:
            session.info["organization_id"] = admin.org.id
            membership = await service.get_member(session, admin.user.id)
            updated = await service.update_member(
                session,
                membership,
                UserUpdate(name=admin.user.name, email=admin.user.email, is_active=True),
            )

        assert updated.user.email == admin.user.email


class TestUpdateProfile:
    async def test_an_email_of_another_user_is_refused(
        self, db: Database, admin: Actor, outsider: Actor
    ) -> None:
        async with db.transaction() as session:
            user = await session.get(User, admin.user.id)
            assert user is not None
            with pytest.raises(ValidationFailed) as raised:
                await service.update_profile(session, user, MeUpdate(email=outsider.user.email))

        assert "email" in raised.value.details

    async def test_name_email_and_avatar_are_stored(self, db: Database, admin: Actor) -> None:
        async with db.transaction() as session:
            user = await session.get(User, admin.user.id)
            assert user is not None
            await service.update_profile(
                session,
                user,
                MeUpdate(name="Ada", email="ADA@example.com", avatar_url="https://x.example/a.png"),
            )

        async with db.transaction(write=False) as session:
            stored = await session.get(User, admin.user.id)
        assert stored is not None
        assert (stored.name, stored.email, stored.avatar_url) == (
            "Ada",
            "ada@example.com",
            "https://x.example/a.png",
        )
