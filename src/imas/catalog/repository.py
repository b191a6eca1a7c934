"""Queries of the catalog. Each starts from a plain select of an `OrgOwned` model, which the
session's tenancy guard (`imas.db`) scopes to the caller's organization; the `*_LOAD` options
load what the response shapes need (every relationship is `lazy="raise"`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption

from imas.catalog.models import ImpactScope, Runbook, Service, Tag, Team, team_members
from imas.orgs.models import Membership, User

TEAM_LOAD: Sequence[ORMOption] = (selectinload(Team.members), selectinload(Team.on_call_user))
SERVICE_LOAD: Sequence[ORMOption] = (selectinload(Service.owner_team),)
RUNBOOK_LOAD: Sequence[ORMOption] = (selectinload(Runbook.service), selectinload(Runbook.steps))


def teams(member: uuid.UUID | None = None) -> Select[Any]:
    stmt = select(Team).options(*TEAM_LOAD)
    if member is not None:
        stmt = stmt.where(
            Team.id.in_(select(team_members.c.team_id).where(team_members.c.user_id == member))
        )
    return stmt


def services(criticality: str | None = None, owner_team: uuid.UUID | None = None) -> Select[Any]:
    stmt = select(Service).options(*SERVICE_LOAD)
    if criticality is not None:
        stmt = stmt.where(Service.criticality == criticality)
    if owner_team is not None:
        stmt = stmt.where(Service.owner_team_id == owner_team)
    return stmt


def impact_scopes() -> Select[Any]:
    return select(ImpactScope)


def tags() -> Select[Any]:
    return select(Tag)


def runbooks(service: uuid.UUID | None = None) -> Select[Any]:
    stmt = select(Runbook).options(*RUNBOOK_LOAD)
    if service is not None:
        stmt = stmt.where(Runbook.service_id == service)
    return stmt


async def org_users(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[User]:
    """The users among `ids` who are members of the session's organization."""
    if not ids:
        return []
    found = await session.scalars(
        select(User).join(Membership, Membership.user_id == User.id).where(User.id.in_(ids))
    )
    return list(found.all())
