"""Factories: real rows made through the services, so tests start from states users reach."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from imas.auth.service import create_api_token, membership_for
from imas.db import Database
from imas.orgs import service as orgs
from imas.orgs.models import Organization, Role, User
from imas.orgs.schemas import OrganizationCreate, UserCreate

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


@dataclass
class Actor:
    user: User
    org: Organization
    role: str
    token: str
    password: str = PASSWORD
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.headers = {"Authorization": f"Token {self.token}"}


async def make_org(db: Database, name: str | None = None) -> Organization:
    n = next(_seq)
    async with db.transaction() as session:
        return await orgs.create_organization(
            session, None, OrganizationCreate(name=name or f"Org {n}", slug=f"org-{n}")
        )


async def make_actor(
    db: Database,
    org: Organization | None = None,
    role: str = "admin",
    scopes: list[str] | None = None,
    username: str | None = None,
) -> Actor:
    """A user with `role` in `org` (a new org if None) and an API token (limited to `scopes`)."""
    org = org or await make_org(db)
    n = next(_seq)
    async with db.transaction() as session:
        membership = await orgs.create_user(
            session,
            org.id,
            UserCreate(
                username=username or f"user{n}",
                password=PASSWORD,
                email=f"user{n}@example.com",
                role=Role(role),
            ),
        )
        user = membership.user
        membership, _ = await membership_for(session, user, org.slug)
        _, raw = await create_api_token(session, user, membership, name="test", scopes=scopes)
    return Actor(user=user, org=org, role=role, token=raw)
