"""`/api/v1/teams/`: teams, their members and who is on call (seed: imas-manager-api)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from imas.api.deps import SessionDep
from imas.api.filtering import apply_ordering, apply_search
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.catalog import repository
from imas.catalog.deps import Admin, Reader
from imas.catalog.models import Team
from imas.catalog.schemas.teams import TeamCreate, TeamRead, TeamUpdate
from imas.catalog.service import teams as service

router = APIRouter(prefix="/api/v1/teams", tags=["teams"])

_ORDERING = {"name": Team.name, "created_at": Team.created_at, "updated_at": Team.updated_at}


async def _read(session: AsyncSession, team: Team) -> TeamRead:
    read = TeamRead.of(team)
    await service.on_call_from_schedules(session, [read])
    return read


@router.get("/", response_model=Page[TeamRead], summary="List teams")
async def list_teams(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    member: Annotated[uuid.UUID | None, Query(description="Teams this user belongs to")] = None,
    search: Annotated[str | None, Query(description="Match in name or description")] = None,
    ordering: Annotated[
        str | None, Query(description="name, created_at, updated_at; '-' for descending")
    ] = None,
) -> Page[TeamRead]:
    stmt = repository.teams(member=member)
    stmt = apply_search(stmt, search, [Team.name, Team.description])
    stmt = apply_ordering(stmt, ordering, _ORDERING, "name", Team.id)
    page = await paginate(session, stmt, pages, request, TeamRead.of)
    await service.on_call_from_schedules(session, page.results)
    return page


@router.post(
    "/", response_model=TeamRead, status_code=status.HTTP_201_CREATED, summary="Create a team"
)
async def create_team(data: TeamCreate, session: SessionDep, principal: Admin) -> TeamRead:
    return await _read(session, await service.create_team(session, data))


@router.get("/{team_id}/", response_model=TeamRead, summary="A team")
async def get_team(team_id: uuid.UUID, session: SessionDep, principal: Reader) -> TeamRead:
    return await _read(session, await service.get_team(session, team_id))


@router.patch("/{team_id}/", response_model=TeamRead, summary="Change some fields of a team")
async def update_team(
    team_id: uuid.UUID, data: TeamUpdate, session: SessionDep, principal: Admin
) -> TeamRead:
    team = await service.get_team(session, team_id)
    return await _read(session, await service.update_team(session, team, data))


@router.put("/{team_id}/", response_model=TeamRead, summary="Replace a team")
async def replace_team(
    team_id: uuid.UUID, data: TeamCreate, session: SessionDep, principal: Admin
) -> TeamRead:
    team = await service.get_team(session, team_id)
    updated = await service.update_team(session, team, TeamUpdate.replacing(data))
    return await _read(session, updated)


@router.delete(
    "/{team_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a team (its services lose their owner)",
)
async def delete_team(team_id: uuid.UUID, session: SessionDep, principal: Admin) -> Response:
    await service.delete_team(session, await service.get_team(session, team_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
