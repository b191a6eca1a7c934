"""Queries of GitHub sign-in. Identities and login states belong to no organization; the
membership queries run in the session's organization (`acting_in`, see `imas.db`)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from imas.auth.github.models import GitHubIdentity, GitHubLoginState
from imas.orgs.models import Membership, Organization, User


async def state_by_hash(session: AsyncSession, state_hash: str) -> GitHubLoginState | None:
    return await session.scalar(
        select(GitHubLoginState).where(GitHubLoginState.state_hash == state_hash)
    )


async def claim_state(session: AsyncSession, state_id: uuid.UUID, now: datetime) -> bool:
    """Mark the state used; False when another request used it first."""
    result = await session.execute(
        update(GitHubLoginState)
        .where(GitHubLoginState.id == state_id, GitHubLoginState.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return isinstance(result, CursorResult) and result.rowcount == 1


async def delete_states_expired_before(session: AsyncSession, moment: datetime) -> None:
    await session.execute(
        delete(GitHubLoginState)
        .where(GitHubLoginState.expires_at < moment)
        .execution_options(synchronize_session=False)
    )


async def identity_by_github_id(session: AsyncSession, github_id: int) -> GitHubIdentity | None:
    return await session.scalar(select(GitHubIdentity).where(GitHubIdentity.github_id == github_id))


async def identity_of(session: AsyncSession, user_id: uuid.UUID) -> GitHubIdentity | None:
    return await session.scalar(select(GitHubIdentity).where(GitHubIdentity.user_id == user_id))


async def user_with_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email.lower()))


async def organization_by_slug(session: AsyncSession, slug: str) -> Organization | None:
    return await session.scalar(select(Organization).where(Organization.slug == slug))


async def membership_of(session: AsyncSession, user_id: uuid.UUID) -> Membership | None:
    """The user's membership in the session's organization."""
    return await session.scalar(select(Membership).where(Membership.user_id == user_id))
