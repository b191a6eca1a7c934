"""Catalog rows made through the catalog's services, in a session bound to the given org."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.models import ImpactScope, Runbook, Service, Tag, Team
from imas.catalog.schemas import (
    ImpactScopeCreate,
    RunbookCreate,
    ServiceCreate,
    StepIn,
    TagCreate,
    TeamCreate,
)
from imas.catalog.service import impact_scopes, runbooks, services, tags, teams
from imas.db import Database
from imas.orgs.models import Organization, User

_seq = itertools.count(1)


@asynccontextmanager
async def acting_for(db: Database, org: Organization) -> AsyncIterator[AsyncSession]:
    """A committed transaction whose session acts inside `org` (as a request of its user)."""
    async with db.transaction() as session:
        session.info["organization_id"] = org.id
        yield session


async def make_team(
    db: Database,
    org: Organization,
    name: str | None = None,
    members: Sequence[User] = (),
    on_call: User | None = None,
    **fields: Any,
) -> Team:
    data = TeamCreate(
        name=name or f"team-{next(_seq)}",
        members=[u.id for u in members],
        current_on_call=on_call.id if on_call else None,
        **fields,
    )
    async with acting_for(db, org) as session:
        return await teams.create_team(session, data)


async def make_service(
    db: Database,
    org: Organization,
    name: str | None = None,
    owner_team: Team | None = None,
    **fields: Any,
) -> Service:
    data = ServiceCreate(
        name=name or f"service-{next(_seq)}",
        owner_team=owner_team.id if owner_team else None,
        **fields,
    )
    async with acting_for(db, org) as session:
        return await services.create_service(session, data)


async def make_tag(
    db: Database, org: Organization, name: str | None = None, color: str = "#6c757d"
) -> Tag:
    async with acting_for(db, org) as session:
        return await tags.create_tag(
            session, TagCreate(name=name or f"tag-{next(_seq)}", color=color)
        )


async def make_impact_scope(
    db: Database, org: Organization, name: str | None = None, description: str = ""
) -> ImpactScope:
    data = ImpactScopeCreate(name=name or f"scope-{next(_seq)}", description=description)
    async with acting_for(db, org) as session:
        return await impact_scopes.create_impact_scope(session, data)


async def make_runbook(
    db: Database,
    org: Organization,
    title: str | None = None,
    service: Service | None = None,
    steps: Sequence[str] = ("Check", "Fix"),
    **fields: Any,
) -> Runbook:
    data = RunbookCreate(
        title=title or f"runbook-{next(_seq)}",
        service=service.id if service else None,
        steps=[StepIn(title=step) for step in steps],
        **fields,
    )
    async with acting_for(db, org) as session:
        return await runbooks.create_runbook(session, data)
