"""Queries of the tenancy domain."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from imas.orgs.models import Membership, Organization, User


def organizations_of(user_id: uuid.UUID) -> Select[Any]:
    """The organizations a user belongs to (across tenants: filtered by membership instead)."""
    return (
        select(Organization)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id)
        .execution_options(all_orgs=True)
    )


async def organization_of(
    session: AsyncSession, user_id: uuid.UUID, org_id: uuid.UUID
) -> tuple[Organization, Membership] | None:
    row = (
        await session.execute(
            select(Organization, Membership)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user_id, Organization.id == org_id)
            .execution_options(all_orgs=True)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def roles_of(session: AsyncSession, user_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = await session.execute(
        select(Membership.organization_id, Membership.role)
        .where(Membership.user_id == user_id)
        .execution_options(all_orgs=True)
    )
    return {row[0]: row[1] for row in rows}


def members() -> Select[Membership]:
    """Memberships of the session's organization, each with its user loaded."""
    return select(Membership).join(Membership.user).options(contains_eager(Membership.user))


async def member(session: AsyncSession, user_id: uuid.UUID) -> Membership | None:
    return await session.scalar(members().where(Membership.user_id == user_id))


async def count_admins(session: AsyncSession) -> int:
    """Admins of the session's organization who can still log in (active users)."""
    count = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.role == "admin", User.is_active.is_(True))
    )
    return int(count or 0)


async def user_by_login(session: AsyncSession, username: str, email: str | None) -> User | None:
    clauses = [User.username == username]
    if email:
        clauses.append(func.lower(User.email) == email.lower())
    return await session.scalar(select(User).where(or_(*clauses)).limit(1))


async def email_taken(session: AsyncSession, email: str, except_user: uuid.UUID) -> bool:
    found = await session.scalar(
        select(User.id).where(func.lower(User.email) == email.lower(), User.id != except_user)
    )
    return found is not None
