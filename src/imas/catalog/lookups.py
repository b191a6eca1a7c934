"""What other domains need from the catalog: validated references by id or name."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.models import ImpactScope, Service, Tag, Team
from imas.db import memoized
from imas.errors import ValidationFailed


async def service_ref(session: AsyncSession, ident: uuid.UUID, field: str = "service") -> Service:
    """The service, or a 400 on `field` (the seed's "Service with this ID does not exist.")."""
    service = await memoized(
        session,
        ("service", ident),
        lambda: session.scalar(select(Service).where(Service.id == ident)),
    )
    if service is None:
        raise ValidationFailed.field(field, "Service with this ID does not exist.")
    return service


async def team_ref(session: AsyncSession, ident: uuid.UUID, field: str = "team") -> Team:
    team = await session.scalar(select(Team).where(Team.id == ident))
    if team is None:
        raise ValidationFailed.field(field, "Team with this ID does not exist.")
    return team


async def impact_scope_refs(
    session: AsyncSession, idents: Sequence[uuid.UUID], field: str = "impacted_scopes"
) -> list[ImpactScope]:
    wanted = list(dict.fromkeys(idents))
    if not wanted:
        return []
    found = list(
        (await session.scalars(select(ImpactScope).where(ImpactScope.id.in_(wanted)))).all()
    )
    missing = set(wanted) - {scope.id for scope in found}
    if missing:
        raise ValidationFailed.field(
            field, f"ImpactScope with ID {', '.join(sorted(map(str, missing)))} does not exist."
        )
    return found


async def tags_by_name(session: AsyncSession, names: Sequence[str]) -> list[Tag]:
    """The tags with these names, creating the unknown ones (a concurrent creator wins cleanly)."""
    wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not wanted:
        return []
    found = {
        t.name: t for t in (await session.scalars(select(Tag).where(Tag.name.in_(wanted)))).all()
    }
    for name in wanted:
        if name in found:
            continue
        try:
            async with session.begin_nested():
                tag = Tag(name=name)
                session.add(tag)
                await session.flush()
        except IntegrityError:
            tag = (await session.scalars(select(Tag).where(Tag.name == name))).one()
        found[name] = tag
    return [found[name] for name in wanted]
