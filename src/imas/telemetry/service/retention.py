"""Retention per organization: points older than the org's `retention_days` are deleted by a
self-rescheduling durable job (one pending per org; `retention_version` turns older ones into
no-ops), in chunks of series with one transaction per chunk, so a big delete never holds one
long transaction. The org's settings row is made on its first metric, with
`IMAS_TELEMETRY_RETENTION_DAYS`, and arms the job."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.db import org_of
from imas.jobs.queue import enqueue
from imas.telemetry import repository
from imas.telemetry.models import TelemetrySettings

RETENTION_JOB = "telemetry.retention"
RETENTION_EVERY = timedelta(hours=1)
SERIES_PER_CHUNK = 200


async def settings_for(
    session: AsyncSession, settings: Settings, now: datetime
) -> TelemetrySettings:
    """The org's telemetry settings, made (and the retention job armed) on first use."""
    found = await repository.settings_row(session)
    if found is not None:
        return found
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = await session.execute(
        dialect.insert(TelemetrySettings)
        .values(
            id=uuid.uuid4(),
            organization_id=org_of(session),
            retention_days=settings.telemetry_retention_days,
            retention_version=1,
            last_retention_deleted=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["organization_id"])
        .returning(TelemetrySettings.id)
    )
    if inserted.scalar() is not None:  # this request made it: arm the job once
        await plan_next(session, 1, now + RETENTION_EVERY)
    found = await repository.settings_row(session)
    assert found is not None
    return found


async def plan_next(session: AsyncSession, version: int, at: datetime) -> None:
    await enqueue(session, RETENTION_JOB, {"version": version}, run_at=at, max_attempts=5)


async def update(
    session: AsyncSession, settings: Settings, retention_days: int, now: datetime
) -> TelemetrySettings:
    row = await settings_for(session, settings, now)
    row.retention_days = retention_days
    row.retention_version += 1
    await plan_next(session, row.retention_version, now)  # apply a shorter retention at once
    await session.flush()
    return row


def cutoff_ms(row: TelemetrySettings, now: datetime) -> int:
    return int((now - timedelta(days=row.retention_days)).timestamp() * 1000)


async def delete_chunk(session: AsyncSession, before_ms: int, after_id: int) -> tuple[int, int]:
    """Delete old points of the next chunk of series (ids above `after_id`); returns (deleted,
    last series id, or -1 when there are no more)."""
    ids = await repository.series_ids_after(session, after_id, SERIES_PER_CHUNK)
    if not ids:
        return 0, -1
    return await repository.delete_points_before(session, ids, before_ms), ids[-1]
