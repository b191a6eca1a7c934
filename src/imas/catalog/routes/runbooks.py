"""`/api/v1/runbooks/`: ordered recovery steps per service (seed: imas-manager-api)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep
from imas.api.filtering import apply_ordering, apply_search
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.catalog import repository
from imas.catalog.deps import Admin, Reader
from imas.catalog.models import Runbook
from imas.catalog.schemas.runbooks import RunbookCreate, RunbookRead, RunbookUpdate
from imas.catalog.service import runbooks as service

router = APIRouter(prefix="/api/v1/runbooks", tags=["runbooks"])

_ORDERING = {
    "title": Runbook.title,
    "created_at": Runbook.created_at,
    "updated_at": Runbook.updated_at,
}


def _read(obj: Runbook) -> RunbookRead:
    return RunbookRead.model_validate(obj)


@router.get("/", response_model=Page[RunbookRead], summary="List runbooks, with their steps")
async def list_runbooks(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    service_id: Annotated[
        uuid.UUID | None, Query(alias="service", description="Runbooks of this service (an id)")
    ] = None,
    search: Annotated[str | None, Query(description="Match in title or description")] = None,
    ordering: Annotated[
        str | None, Query(description="title, created_at, updated_at; '-' for descending")
    ] = None,
) -> Page[RunbookRead]:
    stmt = repository.runbooks(service=service_id)
    stmt = apply_search(stmt, search, [Runbook.title, Runbook.description])
    stmt = apply_ordering(stmt, ordering, _ORDERING, "title", Runbook.id)
    return await paginate(session, stmt, pages, request, _read)


@router.post(
    "/",
    response_model=RunbookRead,
    status_code=status.HTTP_201_CREATED,
    summary="Create a runbook with its ordered steps",
)
async def create_runbook(data: RunbookCreate, session: SessionDep, principal: Admin) -> RunbookRead:
    return _read(await service.create_runbook(session, data))


@router.get("/{runbook_id}/", response_model=RunbookRead, summary="A runbook and its steps")
async def get_runbook(runbook_id: uuid.UUID, session: SessionDep, principal: Reader) -> RunbookRead:
    return _read(await service.get_runbook(session, runbook_id))


@router.patch(
    "/{runbook_id}/",
    response_model=RunbookRead,
    summary="Change some fields (`steps`, when sent, replaces every step)",
)
async def update_runbook(
    runbook_id: uuid.UUID, data: RunbookUpdate, session: SessionDep, principal: Admin
) -> RunbookRead:
    found = await service.get_runbook(session, runbook_id)
    return _read(await service.update_runbook(session, found, data))


@router.put("/{runbook_id}/", response_model=RunbookRead, summary="Replace a runbook and its steps")
async def replace_runbook(
    runbook_id: uuid.UUID, data: RunbookCreate, session: SessionDep, principal: Admin
) -> RunbookRead:
    found = await service.get_runbook(session, runbook_id)
    return _read(await service.update_runbook(session, found, RunbookUpdate.replacing(data)))


@router.delete(
    "/{runbook_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a runbook and its steps",
)
async def delete_runbook(runbook_id: uuid.UUID, session: SessionDep, principal: Admin) -> Response:
    await service.delete_runbook(session, await service.get_runbook(session, runbook_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
