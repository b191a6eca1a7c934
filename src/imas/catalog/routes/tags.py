"""`/api/v1/tags/`: labels for incidents (seed: imas-manager-api)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep
from imas.api.filtering import apply_ordering, apply_search
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.catalog import repository
from imas.catalog.deps import Admin, Reader
from imas.catalog.models import Tag
from imas.catalog.schemas.tags import TagCreate, TagRead, TagUpdate
from imas.catalog.service import tags as service

router = APIRouter(prefix="/api/v1/tags", tags=["tags"])

_ORDERING = {"name": Tag.name, "color": Tag.color, "created_at": Tag.created_at}


def _read(obj: Tag) -> TagRead:
    return TagRead.model_validate(obj)


@router.get("/", response_model=Page[TagRead], summary="List tags")
async def list_tags(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    search: Annotated[str | None, Query(description="Match in name")] = None,
    ordering: Annotated[
        str | None, Query(description="name, color, created_at; '-' for descending")
    ] = None,
) -> Page[TagRead]:
    stmt = apply_search(repository.tags(), search, [Tag.name])
    stmt = apply_ordering(stmt, ordering, _ORDERING, "name", Tag.id)
    return await paginate(session, stmt, pages, request, _read)


@router.post(
    "/", response_model=TagRead, status_code=status.HTTP_201_CREATED, summary="Create a tag"
)
async def create_tag(data: TagCreate, session: SessionDep, principal: Admin) -> TagRead:
    return _read(await service.create_tag(session, data))


@router.get("/{tag_id}/", response_model=TagRead, summary="A tag")
async def get_tag(tag_id: uuid.UUID, session: SessionDep, principal: Reader) -> TagRead:
    return _read(await service.get_tag(session, tag_id))


@router.patch("/{tag_id}/", response_model=TagRead, summary="Rename or recolor a tag")
async def update_tag(
    tag_id: uuid.UUID, data: TagUpdate, session: SessionDep, principal: Admin
) -> TagRead:
    found = await service.get_tag(session, tag_id)
    return _read(await service.update_tag(session, found, data))


@router.put("/{tag_id}/", response_model=TagRead, summary="Replace a tag")
async def replace_tag(
    tag_id: uuid.UUID, data: TagCreate, session: SessionDep, principal: Admin
) -> TagRead:
    found = await service.get_tag(session, tag_id)
    return _read(await service.update_tag(session, found, TagUpdate.replacing(data)))


@router.delete(
    "/{tag_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a tag (incidents lose it)",
)
async def delete_tag(tag_id: uuid.UUID, session: SessionDep, principal: Admin) -> Response:
    await service.delete_tag(session, await service.get_tag(session, tag_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
