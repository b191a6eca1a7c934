"""Demo people: an organization, three users (admin, responder, viewer) and an API token.

The demo users share one generated password, kept in `<var_dir>/demo_password`, and the admin's
API token is kept in `<var_dir>/demo_token` so every start can print working credentials.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.auth.models import ApiToken
from imas.auth.service import create_api_token, hash_token
from imas.config import Settings, secret_file
from imas.orgs import service as orgs
from imas.orgs.models import Membership, Organization, Role, User
from imas.orgs.schemas import OrganizationCreate, UserCreate

DEMO_ORG = "demo"
DEMO_USERS = (("admin", Role.ADMIN), ("responder", Role.RESPONDER), ("viewer", Role.VIEWER))


@dataclass(frozen=True)
class DemoCredentials:
    organization: str
    usernames: tuple[str, ...]
    password: str
    token: str


async def _organization(session: AsyncSession) -> Organization:
    org = await session.scalar(select(Organization).where(Organization.slug == DEMO_ORG))
    if org is None:
        org = await orgs.create_organization(
            session, None, OrganizationCreate(name="Demo Organization", slug=DEMO_ORG)
        )
    return org


async def _users(session: AsyncSession, org: Organization, password: str) -> Membership:
    admin: Membership | None = None
    for username, role in DEMO_USERS:
        user = await session.scalar(select(User).where(User.username == username))
        membership = None
        if user is not None:
            membership = await session.scalar(
                select(Membership)
                .where(Membership.user_id == user.id, Membership.organization_id == org.id)
                .execution_options(all_orgs=True)
            )
        if membership is None:
            membership = await orgs.create_user(
                session,
                org.id,
                UserCreate(
                    username=username,
                    password=password,
                    email=f"{username}@example.com",
                    name=username.title(),
                    role=role,
                ),
            )
        if role == Role.ADMIN:
            admin = membership
    assert admin is not None
    return admin


async def _token(session: AsyncSession, settings: Settings, admin: Membership) -> str:
    path = settings.var_dir / "demo_token"
    if path.exists():
        raw = path.read_text().strip()
        kept = await session.scalar(
            select(ApiToken)
            .where(ApiToken.token_hash == hash_token(raw), ApiToken.revoked_at.is_(None))
            .execution_options(all_orgs=True)
        )
        if kept is not None:
            return raw
    user = await session.get(User, admin.user_id)
    assert user is not None
    _, raw = await create_api_token(session, user, admin, name="demo")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(raw)
    return raw


async def load_people(
    session: AsyncSession, settings: Settings
) -> tuple[DemoCredentials, Organization, User, User]:
    """The demo organization and users; returns the credentials, the org, admin and responder."""
    password = secret_file(settings.var_dir / "demo_password", nbytes=12)
    org = await _organization(session)
    admin = await _users(session, org, password)
    token = await _token(session, settings, admin)
    users = {
        u.username: u
        for u in (
            await session.scalars(select(User).where(User.username.in_(["admin", "responder"])))
        ).all()
    }
    creds = DemoCredentials(
        organization=org.slug,
        usernames=tuple(name for name, _ in DEMO_USERS),
        password=password,
        token=token,
    )
    return creds, org, users["admin"], users["responder"]
