"""Rules of the tenancy domain: creating organizations, managing members, editing a profile."""

from __future__ import annotations

import re
import secrets
import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.auth import service as auth
from imas.auth.passwords import hash_password
from imas.catalog.service import teams
from imas.db import acting_in
from imas.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from imas.orgs import repository
from imas.orgs.models import Membership, Organization, Role, User
from imas.orgs.schemas import (
    MeUpdate,
    OrganizationCreate,
    OrganizationUpdate,
    UserCreate,
    UserUpdate,
)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:60] or "org"


async def create_organization(
    session: AsyncSession, creator: User | None, data: OrganizationCreate
) -> Organization:
    """A new organization; its creator (if any) becomes its admin.

    Slug uniqueness is settled by the unique constraint, not by a prior look-up: a taken
    explicit slug is a 409, a taken derived slug gets a random suffix.
    """
    candidates = (
        [data.slug]
        if data.slug
        else [slugify(data.name)]
        + [f"{slugify(data.name)}-{secrets.token_hex(3)}" for _ in range(3)]
    )
    for slug in candidates:
        org = Organization(name=data.name, slug=slug, settings=data.settings.model_dump())
        try:
            async with session.begin_nested():
                session.add(org)
                await session.flush()
        except IntegrityError:
            continue
        if creator is not None:
            with acting_in(session, org.id):
                session.add(Membership(organization_id=org.id, user_id=creator.id, role=Role.ADMIN))
                await session.flush()
        return org
    raise Conflict(
        f"An organization with the slug '{candidates[0]}' already exists; choose another slug.",
        error="Organization already exists",
        details={"slug": [f"'{candidates[0]}' is taken"]},
    )


async def update_organization(
    session: AsyncSession, org: Organization, data: OrganizationUpdate
) -> Organization:
    if data.name is not None:
        org.name = data.name
    if data.settings is not None:
        org.settings = data.settings.model_dump()
    await session.flush()
    return org


async def create_user(session: AsyncSession, org_id: uuid.UUID, data: UserCreate) -> Membership:
    """A new user, member of `org_id` with the given role."""
    existing = await repository.user_by_login(session, data.username, data.email)
    if existing is not None:
        field = "username" if existing.username == data.username else "email"
        raise Conflict(
            f"A user with this {field} already exists.",
            error="User already exists",
            details={field: [f"this {field} is taken"]},
        )
    user = User(
        username=data.username,
        email=str(data.email).lower() if data.email else None,
        name=data.name,
        password_hash=await hash_password(data.password),
    )
    session.add(user)
    await session.flush()
    with acting_in(session, org_id):
        membership = Membership(organization_id=org_id, user_id=user.id, role=data.role)
        session.add(membership)
        await session.flush()
    membership.user = user
    return membership


async def get_member(session: AsyncSession, user_id: uuid.UUID) -> Membership:
    membership = await repository.member(session, user_id)
    if membership is None:
        raise NotFound.of("user", user_id)
    return membership


async def _keep_an_admin(session: AsyncSession, membership: Membership) -> None:
    """Refuse to demote, deactivate or remove the organization's last active admin."""
    if (
        membership.role == Role.ADMIN
        and membership.user.is_active
        and await repository.count_admins(session) <= 1
    ):
        raise Conflict(
            "This is the organization's last admin; make someone else admin first.",
            error="Last admin",
            code="last_admin",
        )


async def update_member(
    session: AsyncSession, membership: Membership, data: UserUpdate
) -> Membership:
    user = membership.user
    await _refuse_shared_account_changes(session, user, data)
    if data.role is not None and data.role != membership.role:
        await _keep_an_admin(session, membership)
        membership.role = data.role
    if data.is_active is False and user.is_active:
        await _keep_an_admin(session, membership)
    await _apply_profile(session, user, name=data.name, email=data.email)
    if data.is_active is not None:
        user.is_active = data.is_active
    if data.password is not None:
        user.password_hash = await hash_password(data.password)
    await session.flush()
    return membership


async def _refuse_shared_account_changes(
    session: AsyncSession, user: User, data: UserUpdate
) -> None:
    """The user row is shared by every organization the user belongs to: an admin of one of
    them may change the membership (role, removal) but not the account itself, or they could
    set its password and act as the user in the other organizations."""
    email = str(data.email).lower() if data.email is not None else None
    changes = [
        field
        for field, given, current in (
            ("name", data.name, user.name),
            ("email", email, user.email),
            ("is_active", data.is_active, user.is_active),
            ("password", data.password, None),
        )
        if given is not None and given != current
    ]
    if changes and len(await repository.roles_of(session, user.id)) > 1:
        raise PermissionDenied(
            "This account also belongs to other organizations, so only its owner may change "
            f"{', '.join(changes)}; change the role or remove the member instead.",
            details={
                field: ["the account is shared with another organization"] for field in changes
            },
        )


async def remove_member(session: AsyncSession, membership: Membership) -> None:
    """Remove the member and end their credentials here, so re-adding them revives nothing."""
    await _keep_an_admin(session, membership)
    await auth.revoke_credentials_of(session, membership.user_id)
    await teams.forget_member(session, membership.user_id)
    await session.delete(membership)
    await session.flush()


async def _apply_profile(
    session: AsyncSession,
    user: User,
    *,
    name: str | None,
    email: str | None,
    avatar_url: str | None = None,
) -> None:
    if email is not None:
        email = email.lower()
        if await repository.email_taken(session, email, user.id):
            raise ValidationFailed.field("email", "another user already uses this e-mail address")
        user.email = email
    if name is not None:
        user.name = name
    if avatar_url is not None:
        user.avatar_url = avatar_url


async def update_profile(session: AsyncSession, user: User, data: MeUpdate) -> User:
    await _apply_profile(
        session,
        user,
        name=data.name,
        email=str(data.email) if data.email else None,
        avatar_url=data.avatar_url,
    )
    await session.flush()
    return user
