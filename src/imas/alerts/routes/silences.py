"""`/api/v1/silences/`: label matchers and a time range during which alerts open no incident."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.alerts import presenters, repository, service
from imas.alerts.deps import Reader, Responder
from imas.alerts.schemas import SilenceCreate, SilenceRead, SilenceUpdate
from imas.api.deps import SessionDep
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.db import utcnow

router = APIRouter(prefix="/api/v1/silences", tags=["silences"])


@router.get("/", response_model=Page[SilenceRead], summary="List silences")
async def list_silences(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    state: Annotated[Literal["active", "pending", "expired"] | None, Query()] = None,
) -> Page[SilenceRead]:
    stmt = repository.silences(state=state, now=utcnow())
    return await paginate(session, stmt, pages, request, presenters.silence)


@router.post(
    "/", response_model=SilenceRead, status_code=status.HTTP_201_CREATED, summary="Silence alerts"
)
async def create_silence(
    data: SilenceCreate, session: SessionDep, principal: Responder
) -> SilenceRead:
    silence = await service.create_silence(session, principal.user, data)
    return presenters.silence(await service.get_silence(session, silence.id))


@router.get("/{silence_id}/", response_model=SilenceRead, summary="A silence")
async def get_silence(silence_id: uuid.UUID, session: SessionDep, principal: Reader) -> SilenceRead:
    return presenters.silence(await service.get_silence(session, silence_id))


@router.patch("/{silence_id}/", response_model=SilenceRead, summary="Change a silence")
async def update_silence(
    silence_id: uuid.UUID, data: SilenceUpdate, session: SessionDep, principal: Responder
) -> SilenceRead:
    found = await service.get_silence(session, silence_id)
    return presenters.silence(await service.update_silence(session, found, data))


@router.delete(
    "/{silence_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a silence (alerts it silenced stay marked)",
)
async def delete_silence(
    silence_id: uuid.UUID, session: SessionDep, principal: Responder
) -> Response:
    await service.delete_silence(session, await service.get_silence(session, silence_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
