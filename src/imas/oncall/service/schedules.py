"""Schedules: create, edit, delete, overrides, and who is on call at an instant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.service.common import delete, save_named
from imas.errors import NotFound, ValidationFailed
from imas.oncall import repository, rotation
from imas.oncall.models import Schedule, ScheduleLayer, ScheduleOverride
from imas.oncall.schemas import LayerIn, OverrideCreate, ScheduleCreate, ScheduleUpdate
from imas.oncall.service.common import org_users
from imas.orgs.models import User
from imas.repository import get_or_404

THING = "Schedule"


async def get_schedule(session: AsyncSession, schedule_id: uuid.UUID) -> Schedule:
    return await get_or_404(session, Schedule, schedule_id, "schedule", repository.SCHEDULE_LOAD)


async def schedule_ref(session: AsyncSession, schedule_id: uuid.UUID, field: str) -> Schedule:
    """The schedule, or a 400 on `field` (for references in other bodies)."""
    found = await repository.schedules_by_id(session, [schedule_id])
    if not found:
        raise ValidationFailed.field(field, "Schedule with this ID does not exist.")
    return found[0]


async def _layers(session: AsyncSession, layers: Sequence[LayerIn]) -> list[ScheduleLayer]:
    for i, layer in enumerate(layers):
        await org_users(session, layer.participants, f"layers.{i}.participants")
    return [
        ScheduleLayer(
            position=i,
            name=layer.name or f"Layer {i + 1}",
            rotation_type=layer.rotation_type,
            shift_length=layer.shift_length,
            shift_unit=layer.shift_unit,
            start_date=layer.start_date,
            handoff_time=layer.handoff_time,
            participants=[str(p) for p in layer.participants],
        )
        for i, layer in enumerate(layers)
    ]


async def create_schedule(session: AsyncSession, data: ScheduleCreate) -> Schedule:
    schedule = Schedule(
        name=data.name,
        description=data.description,
        time_zone=data.time_zone,
        layers=await _layers(session, data.layers),
    )
    await save_named(session, schedule, THING)
    return schedule


async def update_schedule(
    session: AsyncSession, schedule: Schedule, data: ScheduleUpdate
) -> Schedule:
    """Change the fields `data` sets (`schedule` loaded with its layers)."""
    layers = await _layers(session, data.layers) if data.layers is not None else None
    if data.name is not None:
        schedule.name = data.name
    if data.description is not None:
        schedule.description = data.description
    if data.time_zone is not None:
        schedule.time_zone = data.time_zone
    if layers is not None:
        schedule.layers.clear()  # the old rows go first: (schedule, position) is unique
        await session.flush()
        schedule.layers.extend(layers)
    await save_named(session, schedule, THING)
    return schedule


async def delete_schedule(session: AsyncSession, schedule: Schedule) -> None:
    """Teams that pointed at it keep their own on-call field; escalation levels naming it
    page nobody for it."""
    await delete(session, schedule, THING, in_use="other data still references it")


async def create_override(
    session: AsyncSession, schedule: Schedule, data: OverrideCreate
) -> tuple[ScheduleOverride, User]:
    users = await org_users(session, [data.user], "user")
    override = ScheduleOverride(
        schedule_id=schedule.id, user_id=data.user, starts_at=data.start, ends_at=data.end
    )
    session.add(override)
    await session.flush()
    return override, users[data.user]


async def get_override(
    session: AsyncSession, schedule: Schedule, override_id: uuid.UUID
) -> ScheduleOverride:
    override = await get_or_404(session, ScheduleOverride, override_id, "override")
    if override.schedule_id != schedule.id:
        raise NotFound.of("override", override_id)
    return override


async def delete_override(session: AsyncSession, override: ScheduleOverride) -> None:
    await session.delete(override)
    await session.flush()


@dataclass(frozen=True)
class OnCall:
    schedule: Schedule
    at: datetime
    shift: rotation.Shift | None
    user: User | None
    layer: ScheduleLayer | None


def _rotations(schedule: Schedule) -> list[rotation.Rotation]:
    return [
        rotation.Rotation(
            layer_id=layer.id,
            position=layer.position,
            start_date=layer.start_date,
            handoff=layer.handoff_time,
            length=layer.shift_length,
            unit=layer.shift_unit,
            participants=[uuid.UUID(p) for p in layer.participants],
        )
        for layer in schedule.layers
    ]


async def on_call_many(
    session: AsyncSession, schedules: Sequence[Schedule], at: datetime
) -> dict[uuid.UUID, OnCall]:
    """Who is on call at `at` on each schedule (loaded with its layers), in three queries."""
    if not schedules:
        return {}
    overrides = await repository.overrides_at(session, [s.id for s in schedules], at)
    shifts: dict[uuid.UUID, rotation.Shift | None] = {}
    for schedule in schedules:
        mine = [
            rotation.Override(o.id, o.user_id, o.starts_at, o.ends_at)
            for o in overrides
            if o.schedule_id == schedule.id
        ]
        tz = ZoneInfo(schedule.time_zone)
        shifts[schedule.id] = rotation.on_call(tz, _rotations(schedule), mine, at)
    user_ids = [s.user_id for s in shifts.values() if s is not None]
    users = {u.id: u for u in await repository.org_users(session, user_ids)}
    found: dict[uuid.UUID, OnCall] = {}
    for schedule in schedules:
        shift = shifts[schedule.id]
        user = users.get(shift.user_id) if shift else None  # a user gone from the org: nobody
        layer = next((x for x in schedule.layers if shift and x.id == shift.layer_id), None)
        found[schedule.id] = OnCall(schedule, at, shift if user else None, user, layer)
    return found


async def on_call(session: AsyncSession, schedule: Schedule, at: datetime) -> OnCall:
    return (await on_call_many(session, [schedule], at))[schedule.id]


async def on_call_users(
    session: AsyncSession, schedule_ids: Sequence[uuid.UUID], at: datetime
) -> dict[uuid.UUID, User | None]:
    """For other domains (teams): the user on call on each of these schedules at `at`."""
    schedules = await repository.schedules_by_id(session, list(dict.fromkeys(schedule_ids)))
    return {sid: oc.user for sid, oc in (await on_call_many(session, schedules, at)).items()}
