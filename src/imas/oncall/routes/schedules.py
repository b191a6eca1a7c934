"""`/api/v1/schedules/`: rotations in layers, overrides, and who is on call."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep
from imas.api.filtering import apply_ordering, apply_search
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.db import utcnow
from imas.oncall import repository
from imas.oncall.deps import Admin, Reader
from imas.oncall.models import Schedule, ScheduleOverride
from imas.oncall.schemas import (
    LayerRef,
    OnCallRead,
    OverrideCreate,
    OverrideRead,
    ScheduleCreate,
    ScheduleRead,
    ScheduleUpdate,
    UserRef,
)
from imas.oncall.service import schedules as service
from imas.orgs.models import User
from imas.types import UtcDateTime

router = APIRouter(prefix="/api/v1/schedules", tags=["schedules"])

_ORDERING = {
    "name": Schedule.name,
    "created_at": Schedule.created_at,
    "updated_at": Schedule.updated_at,
}


@router.get("/", response_model=Page[ScheduleRead], summary="List schedules")
async def list_schedules(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    time_zone: Annotated[str | None, Query(description="Schedules in this time zone")] = None,
    search: Annotated[str | None, Query(description="Match in name or description")] = None,
    ordering: Annotated[
        str | None, Query(description="name, created_at, updated_at; '-' for descending")
    ] = None,
) -> Page[ScheduleRead]:
    stmt = repository.schedules(time_zone=time_zone)
    stmt = apply_search(stmt, search, [Schedule.name, Schedule.description])
    stmt = apply_ordering(stmt, ordering, _ORDERING, "name", Schedule.id)
    return await paginate(session, stmt, pages, request, ScheduleRead.of)


@router.post(
    "/", response_model=ScheduleRead, status_code=status.HTTP_201_CREATED, summary="Create one"
)
async def create_schedule(
    data: ScheduleCreate, session: SessionDep, principal: Admin
) -> ScheduleRead:
    return ScheduleRead.of(await service.create_schedule(session, data))


@router.get("/{schedule_id}/", response_model=ScheduleRead, summary="A schedule")
async def get_schedule(
    schedule_id: uuid.UUID, session: SessionDep, principal: Reader
) -> ScheduleRead:
    return ScheduleRead.of(await service.get_schedule(session, schedule_id))


@router.patch("/{schedule_id}/", response_model=ScheduleRead, summary="Change some fields")
async def update_schedule(
    schedule_id: uuid.UUID, data: ScheduleUpdate, session: SessionDep, principal: Admin
) -> ScheduleRead:
    schedule = await service.get_schedule(session, schedule_id)
    return ScheduleRead.of(await service.update_schedule(session, schedule, data))


@router.put("/{schedule_id}/", response_model=ScheduleRead, summary="Replace a schedule")
async def replace_schedule(
    schedule_id: uuid.UUID, data: ScheduleCreate, session: SessionDep, principal: Admin
) -> ScheduleRead:
    schedule = await service.get_schedule(session, schedule_id)
    update = ScheduleUpdate.model_validate(data.model_dump())
    return ScheduleRead.of(await service.update_schedule(session, schedule, update))


@router.delete(
    "/{schedule_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a schedule (teams pointing at it keep their own on-call field)",
)
async def delete_schedule(
    schedule_id: uuid.UUID, session: SessionDep, principal: Admin
) -> Response:
    await service.delete_schedule(session, await service.get_schedule(session, schedule_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _override(override: ScheduleOverride, user: User) -> OverrideRead:
    return OverrideRead(
        id=override.id,
        schedule=override.schedule_id,
        user=UserRef.model_validate(user),
        start=override.starts_at,
        end=override.ends_at,
        created_at=override.created_at,
    )


@router.get(
    "/{schedule_id}/overrides/",
    response_model=Page[OverrideRead],
    summary="Overrides of a schedule, by start",
)
async def list_overrides(
    schedule_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    ending_after: Annotated[
        UtcDateTime | None, Query(description="Only overrides ending after this time")
    ] = None,
) -> Page[OverrideRead]:
    schedule = await service.get_schedule(session, schedule_id)
    stmt = repository.overrides(schedule.id, ending_after)
    page = await paginate(session, stmt, pages, request, lambda o: o)
    users = {
        u.id: u for u in await repository.org_users(session, [o.user_id for o in page.results])
    }
    return Page[OverrideRead](
        count=page.count,
        next=page.next,
        previous=page.previous,
        results=[_override(o, users[o.user_id]) for o in page.results if o.user_id in users],
    )


@router.post(
    "/{schedule_id}/overrides/",
    response_model=OverrideRead,
    status_code=status.HTTP_201_CREATED,
    summary="Put someone on call for a while",
)
async def create_override(
    schedule_id: uuid.UUID, data: OverrideCreate, session: SessionDep, principal: Admin
) -> OverrideRead:
    schedule = await service.get_schedule(session, schedule_id)
    override, user = await service.create_override(session, schedule, data)
    return _override(override, user)


@router.delete(
    "/{schedule_id}/overrides/{override_id}/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete an override",
)
async def delete_override(
    schedule_id: uuid.UUID, override_id: uuid.UUID, session: SessionDep, principal: Admin
) -> Response:
    schedule = await service.get_schedule(session, schedule_id)
    override = await service.get_override(session, schedule, override_id)
    await service.delete_override(session, override)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{schedule_id}/oncall/", response_model=OnCallRead, summary="Who is on call")
async def get_on_call(
    schedule_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    at: Annotated[UtcDateTime | None, Query(description="ISO 8601 instant; default: now")] = None,
) -> OnCallRead:
    schedule = await service.get_schedule(session, schedule_id)
    found = await service.on_call(session, schedule, at or utcnow())
    shift = found.shift
    return OnCallRead(
        schedule=schedule.id,
        at=found.at,
        user=UserRef.model_validate(found.user) if found.user else None,
        source=None if shift is None else ("override" if shift.override_id else "layer"),
        layer=(
            LayerRef(id=found.layer.id, name=found.layer.name, position=found.layer.position)
            if found.layer and shift and not shift.override_id
            else None
        ),
        override=shift.override_id if shift else None,
        shift_start=shift.start if shift else None,
        shift_end=shift.end if shift else None,
    )
