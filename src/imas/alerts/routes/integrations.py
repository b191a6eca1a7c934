"""`/api/v1/integrations/`: where alerts come from. The key is shown once (creation, rotation)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.alerts import presenters, repository, service
from imas.alerts.deps import Admin, Reader
from imas.alerts.models import Integration
from imas.alerts.schemas import (
    IntegrationCreate,
    IntegrationRead,
    IntegrationUpdate,
    IntegrationWithKey,
    SourceRead,
)
from imas.alerts.sources import registry
from imas.api.deps import SessionDep
from imas.api.filtering import apply_ordering
from imas.api.pagination import Page, PageParams, page_params, paginate

router = APIRouter(prefix="/api/v1/integrations", tags=["integrations"])

_ORDERING = {
    "name": Integration.name,
    "kind": Integration.kind,
    "created_at": Integration.created_at,
    "updated_at": Integration.updated_at,
}


@router.get("/sources/", response_model=list[SourceRead], summary="The alert sources IMAS has")
async def list_sources(principal: Reader) -> list[SourceRead]:
    return [presenters.source(cls) for cls in registry.all_sources()]


@router.get("/", response_model=Page[IntegrationRead], summary="List integrations")
async def list_integrations(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    kind: Annotated[str | None, Query(max_length=30)] = None,
    is_active: Annotated[bool | None, Query()] = None,
    search: Annotated[str | None, Query(description="In name or description")] = None,
    ordering: Annotated[
        str | None, Query(description="name (default), kind, created_at, updated_at")
    ] = None,
) -> Page[IntegrationRead]:
    stmt = repository.integrations(kind=kind, is_active=is_active, search=search)
    stmt = apply_ordering(stmt, ordering, _ORDERING, "name", Integration.id)
    return await paginate(session, stmt, pages, request, presenters.integration)


@router.post(
    "/",
    response_model=IntegrationWithKey,
    status_code=status.HTTP_201_CREATED,
    summary="Create an integration (its key is shown this once)",
)
async def create_integration(
    data: IntegrationCreate, session: SessionDep, principal: Admin
) -> IntegrationWithKey:
    integration, key = await service.create_integration(session, data)
    integration = await service.get_integration(session, integration.id)
    return presenters.integration_with_key(integration, key)


@router.get("/{integration_id}/", response_model=IntegrationRead, summary="An integration")
async def get_integration(
    integration_id: uuid.UUID, session: SessionDep, principal: Reader
) -> IntegrationRead:
    return presenters.integration(await service.get_integration(session, integration_id))


@router.patch("/{integration_id}/", response_model=IntegrationRead, summary="Change some fields")
async def update_integration(
    integration_id: uuid.UUID, data: IntegrationUpdate, session: SessionDep, principal: Admin
) -> IntegrationRead:
    found = await service.get_integration(session, integration_id)
    return presenters.integration(await service.update_integration(session, found, data))


@router.post(
    "/{integration_id}/rotate-key/",
    response_model=IntegrationWithKey,
    summary="Replace the key (the old one stops working at once; the new one is shown once)",
)
async def rotate_key(
    integration_id: uuid.UUID, session: SessionDep, principal: Admin
) -> IntegrationWithKey:
    found = await service.get_integration(session, integration_id)
    key = await service.rotate_key(session, found)
    return presenters.integration_with_key(found, key)


@router.delete(
    "/{integration_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete an integration that never received an alert (otherwise disable it)",
)
async def delete_integration(
    integration_id: uuid.UUID, session: SessionDep, principal: Admin
) -> Response:
    await service.delete_integration(
        session, await service.get_integration(session, integration_id)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
