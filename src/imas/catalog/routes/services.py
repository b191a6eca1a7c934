"""`/api/v1/services/`: the service catalog (seed: imas-manager-api)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep
from imas.api.filtering import apply_ordering, apply_search
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.catalog import repository
from imas.catalog.deps import Admin, Reader
from imas.catalog.models import Criticality, Service
from imas.catalog.schemas.services import ServiceCreate, ServiceRead, ServiceUpdate
from imas.catalog.service import services as service

router = APIRouter(prefix="/api/v1/services", tags=["services"])

_ORDERING = {
    "name": Service.name,
    "criticality": Service.criticality,
    "created_at": Service.created_at,
    "updated_at": Service.updated_at,
}


def _read(obj: Service) -> ServiceRead:
    return ServiceRead.model_validate(obj)


@router.get("/", response_model=Page[ServiceRead], summary="List services")
async def list_services(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    criticality: Annotated[Criticality | None, Query()] = None,
    owner_team: Annotated[uuid.UUID | None, Query(description="Id of the owning team")] = None,
    search: Annotated[str | None, Query(description="Match in name or description")] = None,
    ordering: Annotated[
        str | None,
        Query(description="name, criticality, created_at, updated_at; '-' for descending"),
    ] = None,
) -> Page[ServiceRead]:
    stmt = repository.services(criticality=criticality, owner_team=owner_team)
    stmt = apply_search(stmt, search, [Service.name, Service.description])
    stmt = apply_ordering(stmt, ordering, _ORDERING, "name", Service.id)
    return await paginate(session, stmt, pages, request, _read)


@router.post(
    "/", response_model=ServiceRead, status_code=status.HTTP_201_CREATED, summary="Create a service"
)
async def create_service(data: ServiceCreate, session: SessionDep, principal: Admin) -> ServiceRead:
    return _read(await service.create_service(session, data))


@router.get("/{service_id}/", response_model=ServiceRead, summary="A service")
async def get_service(service_id: uuid.UUID, session: SessionDep, principal: Reader) -> ServiceRead:
    return _read(await service.get_service(session, service_id))


@router.patch("/{service_id}/", response_model=ServiceRead, summary="Change some fields")
async def update_service(
    service_id: uuid.UUID, data: ServiceUpdate, session: SessionDep, principal: Admin
) -> ServiceRead:
    found = await service.get_service(session, service_id)
    return _read(await service.update_service(session, found, data))


@router.put("/{service_id}/", response_model=ServiceRead, summary="Replace a service")
async def replace_service(
    service_id: uuid.UUID, data: ServiceCreate, session: SessionDep, principal: Admin
) -> ServiceRead:
    found = await service.get_service(session, service_id)
    return _read(await service.update_service(session, found, ServiceUpdate.replacing(data)))


@router.delete(
    "/{service_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a service (refused while incidents refer to it)",
)
async def delete_service(service_id: uuid.UUID, session: SessionDep, principal: Admin) -> Response:
    await service.delete_service(session, await service.get_service(session, service_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
