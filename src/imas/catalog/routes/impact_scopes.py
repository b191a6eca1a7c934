"""`/api/v1/impact-scopes/`: what an incident endangers (seed: imas-manager-api, incidents)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep
from imas.api.filtering import apply_ordering, apply_search
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.catalog import repository
from imas.catalog.deps import Admin, Reader
from imas.catalog.models import ImpactScope
from imas.catalog.schemas.impact_scopes import ImpactScopeCreate, ImpactScopeRead, ImpactScopeUpdate
from imas.catalog.service import impact_scopes as service

router = APIRouter(prefix="/api/v1/impact-scopes", tags=["impact scopes"])

_ORDERING = {"name": ImpactScope.name, "created_at": ImpactScope.created_at}


def _read(obj: ImpactScope) -> ImpactScopeRead:
    return ImpactScopeRead.model_validate(obj)


@router.get("/", response_model=Page[ImpactScopeRead], summary="List impact scopes")
async def list_impact_scopes(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    search: Annotated[str | None, Query(description="Match in name or description")] = None,
    ordering: Annotated[
        str | None, Query(description="name, created_at; '-' for descending")
    ] = None,
) -> Page[ImpactScopeRead]:
    stmt = apply_search(
        repository.impact_scopes(), search, [ImpactScope.name, ImpactScope.description]
    )
    stmt = apply_ordering(stmt, ordering, _ORDERING, "name", ImpactScope.id)
    return await paginate(session, stmt, pages, request, _read)


@router.post(
    "/",
    response_model=ImpactScopeRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create an impact scope",
)
async def create_impact_scope(
    data: ImpactScopeCreate, session: SessionDep, principal: Admin
) -> ImpactScopeRead:
    return _read(await service.create_impact_scope(session, data))


@router.get("/{scope_id}/", response_model=ImpactScopeRead, summary="An impact scope")
async def get_impact_scope(
    scope_id: uuid.UUID, session: SessionDep, principal: Reader
) -> ImpactScopeRead:
    return _read(await service.get_impact_scope(session, scope_id))


@router.patch("/{scope_id}/", response_model=ImpactScopeRead, summary="Change some fields")
async def update_impact_scope(
    scope_id: uuid.UUID, data: ImpactScopeUpdate, session: SessionDep, principal: Admin
) -> ImpactScopeRead:
    found = await service.get_impact_scope(session, scope_id)
    return _read(await service.update_impact_scope(session, found, data))


@router.put("/{scope_id}/", response_model=ImpactScopeRead, summary="Replace an impact scope")
async def replace_impact_scope(
    scope_id: uuid.UUID, data: ImpactScopeCreate, session: SessionDep, principal: Admin
) -> ImpactScopeRead:
    found = await service.get_impact_scope(session, scope_id)
    return _read(
        await service.update_impact_scope(session, found, ImpactScopeUpdate.replacing(data))
    )


@router.delete(
    "/{scope_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete an impact scope (incidents lose it)",
)
async def delete_impact_scope(
    scope_id: uuid.UUID, session: SessionDep, principal: Admin
) -> Response:
    await service.delete_impact_scope(session, await service.get_impact_scope(session, scope_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
