"""Impact scopes: create, edit, delete (incidents lose a deleted scope)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.models import ImpactScope
from imas.catalog.schemas.impact_scopes import ImpactScopeCreate, ImpactScopeUpdate
from imas.catalog.service.common import delete, save_named
from imas.repository import get_or_404

THING = "Impact scope"


async def get_impact_scope(session: AsyncSession, scope_id: uuid.UUID) -> ImpactScope:
    return await get_or_404(session, ImpactScope, scope_id, "impact scope")


async def create_impact_scope(session: AsyncSession, data: ImpactScopeCreate) -> ImpactScope:
    scope = ImpactScope(name=data.name, description=data.description)
    await save_named(session, scope, THING)
    return scope


async def update_impact_scope(
    session: AsyncSession, scope: ImpactScope, data: ImpactScopeUpdate
) -> ImpactScope:
    if data.name is not None:
        scope.name = data.name
    if data.description is not None:
        scope.description = data.description
    await save_named(session, scope, THING)
    return scope


async def delete_impact_scope(session: AsyncSession, scope: ImpactScope) -> None:
    await delete(session, scope, THING, in_use="other data still references it")
