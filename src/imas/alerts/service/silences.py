"""Silences and maintenance windows: create, change, expire, delete."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts import repository
from imas.alerts.models import Silence
from imas.alerts.schemas import SilenceCreate, SilenceState, SilenceUpdate
from imas.db import utcnow
from imas.errors import ValidationFailed
from imas.orgs.models import User
from imas.repository import get_or_404


def state_of(silence: Silence, now: datetime | None = None) -> SilenceState:
    now = now or utcnow()
    if silence.ends_at <= now:
        return SilenceState.EXPIRED
    if silence.starts_at > now:
        return SilenceState.PENDING
    return SilenceState.ACTIVE


def _check_range(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationFailed.field("ends_at", "must be after starts_at")


async def get_silence(session: AsyncSession, silence_id: uuid.UUID | str) -> Silence:
    return await get_or_404(session, Silence, silence_id, "silence", repository.SILENCE_LOAD)


async def create_silence(session: AsyncSession, actor: User, data: SilenceCreate) -> Silence:
    starts_at = data.starts_at or utcnow()
    _check_range(starts_at, data.ends_at)
    silence = Silence(
        matchers=[m.model_dump(mode="json") for m in data.matchers],
        starts_at=starts_at,
        ends_at=data.ends_at,
        comment=data.comment,
        created_by_id=actor.id,
    )
    session.add(silence)
    await session.flush()
    return silence


async def update_silence(session: AsyncSession, silence: Silence, data: SilenceUpdate) -> Silence:
    if data.matchers is not None:
        silence.matchers = [m.model_dump(mode="json") for m in data.matchers]
    if data.starts_at is not None:
        silence.starts_at = data.starts_at
    if data.ends_at is not None:
        silence.ends_at = data.ends_at
    if data.comment is not None:
        silence.comment = data.comment
    _check_range(silence.starts_at, silence.ends_at)
    await session.flush()
    return silence


async def delete_silence(session: AsyncSession, silence: Silence) -> None:
    await session.delete(silence)
    await session.flush()
