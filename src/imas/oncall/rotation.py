"""Who is on call at an instant: pure functions over plain values, DST-correct with `zoneinfo`.

A rotation counted in days hands off at the same *local* wall time every time (09:00 in Paris
stays 09:00 across the change to or from summer time), so one of its shifts may last 23 or 25
hours. A rotation counted in hours is counted in elapsed time from its first hand-off. A
hand-off time that does not exist on a given day (02:30 on the day clocks spring forward) is
read as `zoneinfo` reads it (the offset before the change), one that occurs twice as its first
occurrence.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Rotation:
    """One layer of a schedule."""

    layer_id: uuid.UUID
    position: int  # higher wins where it has someone
    start_date: date  # local date of the first hand-off
    handoff: time  # local wall time of every hand-off
    length: int  # shift length, in `unit`
    unit: str  # "days" or "hours"
    participants: Sequence[uuid.UUID]  # in turn order


@dataclass(frozen=True)
class Override:
    override_id: uuid.UUID
    user_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Shift:
    user_id: uuid.UUID
    start: datetime  # UTC
    end: datetime  # UTC
    layer_id: uuid.UUID | None = None
    override_id: uuid.UUID | None = None


def _local(tz: ZoneInfo, day: date, at: time) -> datetime:
    """The UTC instant of wall time `at` on `day` in `tz`."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _shift_bounds(rotation: Rotation, tz: ZoneInfo, k: int) -> tuple[datetime, datetime]:
    if rotation.unit == "hours":
        first = _local(tz, rotation.start_date, rotation.handoff)
        step = timedelta(hours=rotation.length)
        return first + k * step, first + (k + 1) * step
    days = rotation.length
    start = _local(tz, rotation.start_date + timedelta(days=k * days), rotation.handoff)
    end = _local(tz, rotation.start_date + timedelta(days=(k + 1) * days), rotation.handoff)
    return start, end


def _guess(rotation: Rotation, tz: ZoneInfo, at: datetime) -> int:
    if rotation.unit == "hours":
        first = _local(tz, rotation.start_date, rotation.handoff)
        return int((at - first) // timedelta(hours=rotation.length))
    local = at.astimezone(tz)
    days = (local.date() - rotation.start_date).days
    if local.time().replace(tzinfo=None) < rotation.handoff:
        days -= 1
    return days // rotation.length


def rotation_shift(rotation: Rotation, tz: ZoneInfo, at: datetime) -> Shift | None:
    """The shift of `rotation` that contains `at`; None before the rotation starts."""
    if not rotation.participants or rotation.length < 1:
        return None
    k = _guess(rotation, tz, at)
    start, end = _shift_bounds(rotation, tz, k)
    # Local-time arithmetic may be off by one shift next to a DST change: settle on the
    # shift whose UTC bounds hold `at`.
    while at < start:
        k -= 1
        start, end = _shift_bounds(rotation, tz, k)
    while at >= end:
        k += 1
        start, end = _shift_bounds(rotation, tz, k)
    if k < 0:
        return None
    user = rotation.participants[k % len(rotation.participants)]
    return Shift(user_id=user, start=start, end=end, layer_id=rotation.layer_id)


def on_call(
    tz: ZoneInfo,
    rotations: Sequence[Rotation],
    overrides: Sequence[Override],
    at: datetime,
) -> Shift | None:
    """Who is on call at `at`: an override covering it (the last one made wins, i.e. the last
    of `overrides`), else the highest layer that has someone, else nobody."""
    at = at.astimezone(UTC)
    for override in reversed(overrides):
        if override.starts_at <= at < override.ends_at:
            return Shift(
                user_id=override.user_id,
                start=override.starts_at,
                end=override.ends_at,
                override_id=override.override_id,
            )
    for rotation in sorted(rotations, key=lambda r: r.position, reverse=True):
        shift = rotation_shift(rotation, tz, at)
        if shift is not None:
            return shift
    return None
