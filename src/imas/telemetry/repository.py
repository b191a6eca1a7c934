"""Every query of the telemetry domain. Series, rules, states and settings are `OrgOwned`, so the
session's tenancy guard scopes them (`imas.db`); points have no organization of their own and are
only ever read or deleted through series ids selected here first."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from imas.api.filtering import apply_ordering, apply_search
from imas.repository import get_or_404
from imas.telemetry.models import Point, Rule, RuleSeriesState, Series, TelemetrySettings


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


async def series_ids_by_hash(session: AsyncSession, hashes: Iterable[str]) -> dict[str, int]:
    """hash -> series id of those that exist (columns only: no ORM objects, no tags parsed)."""
    wanted = list(set(hashes))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 1000):
        rows = await session.execute(
            select(Series.series_hash, Series.id).where(
                Series.series_hash.in_(wanted[start : start + 1000])
            )
        )
        found.update({h: int(i) for h, i in rows})
    return found


async def insert_series(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert series unless they exist (`ON CONFLICT DO NOTHING`: two batches creating the same
    series at once both succeed; the caller reads them back)."""
    if not rows:
        return
    dialect = postgresql if _dialect(session) == "postgresql" else sqlite
    stmt = dialect.insert(Series).on_conflict_do_nothing(
        index_elements=["organization_id", "series_hash"]
    )
    await (await session.connection()).execute(stmt, list(rows))


async def upsert_points(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One executemany of the batch; a point already stored for the same instant is replaced."""
    if not rows:
        return
    if _dialect(session) == "postgresql":
        pg = postgresql.insert(Point)
        await (await session.connection()).execute(
            pg.on_conflict_do_update(
                index_elements=["series_id", "ts_ms"], set_={"value": pg.excluded.value}
            ),
            list(rows),
        )
    else:
        lite = sqlite.insert(Point)
        await (await session.connection()).execute(
            lite.on_conflict_do_update(
                index_elements=["series_id", "ts_ms"], set_={"value": lite.excluded.value}
            ),
            list(rows),
        )


def series_selection(
    *,
    name: str | None = None,
    metric_type: str | None = None,
    tags: dict[str, str] | None = None,
) -> Select[Any]:
    stmt = select(Series)
    if name:
        stmt = stmt.where(Series.name == name)
    if metric_type:
        stmt = stmt.where(Series.metric_type == metric_type)
    for key, value in (tags or {}).items():
        stmt = stmt.where(Series.tags[key].as_string() == value)
    return stmt.order_by(Series.name, Series.id)


async def series_list(session: AsyncSession, stmt: Select[Any], limit: int) -> list[Series]:
    return list(await session.scalars(stmt.limit(limit)))


def in_range(series_ids: Sequence[int], start_ms: int, end_ms: int) -> ColumnElement[bool]:
    return Point.series_id.in_(series_ids) & (Point.ts_ms >= start_ms) & (Point.ts_ms <= end_ms)


async def count_points(
    session: AsyncSession, series_ids: Sequence[int], start_ms: int, end_ms: int
) -> int:
    if not series_ids:
        return 0
    found = await session.scalar(
        select(func.count()).select_from(Point).where(in_range(series_ids, start_ms, end_ms))
    )
    return int(found or 0)


async def raw_points(
    session: AsyncSession, series_ids: Sequence[int], start_ms: int, end_ms: int, limit: int
) -> list[tuple[int, int, float]]:
    """(series id, epoch ms, value) of the range, oldest first."""
    if not series_ids:
        return []
    found = await session.execute(
        select(Point.series_id, Point.ts_ms, Point.value)
        .where(in_range(series_ids, start_ms, end_ms))
        .order_by(Point.ts_ms, Point.series_id)
        .limit(limit)
    )
    return [(int(s), int(t), float(v)) for s, t, v in found]


async def grouped(
    session: AsyncSession,
    series_ids: Sequence[int],
    start_ms: int,
    end_ms: int,
    step_ms: int | None,
    measure: Any,
) -> dict[tuple[int, int], float]:
    """`measure` (an aggregate of `Point.value`) per series and epoch-aligned bucket of
    `step_ms` (`ts_ms // step * step`, integer division on both backends), or per series over
    the whole range (keyed by `start_ms`) when `step_ms` is None."""
    bucket: Any = (Point.ts_ms // step_ms * step_ms) if step_ms else literal(start_ms)
    group = [Point.series_id, bucket] if step_ms else [Point.series_id]
    rows = await session.execute(
        select(Point.series_id, bucket.label("bucket"), measure)
        .where(in_range(series_ids, start_ms, end_ms))
        .group_by(*group)
    )
    return {(int(s), int(b)): float(v) for s, b, v in rows if v is not None}


async def points_by_series(
    session: AsyncSession, series_ids: Sequence[int], start_ms: int, end_ms: int, limit: int
) -> list[tuple[int, int, float]]:
    """(series id, epoch ms, value) of the range, by series then time, at most `limit`."""
    found = await session.execute(
        select(Point.series_id, Point.ts_ms, Point.value)
        .where(in_range(series_ids, start_ms, end_ms))
        .order_by(Point.series_id, Point.ts_ms)
        .limit(limit)
    )
    return [(int(s), int(t), float(v)) for s, t, v in found]


async def delete_points_before(
    session: AsyncSession, series_ids: Sequence[int], before_ms: int
) -> int:
    if not series_ids:
        return 0
    result = await session.execute(
        delete(Point).where(Point.series_id.in_(series_ids), Point.ts_ms < before_ms)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def series_ids_after(session: AsyncSession, after: int, limit: int) -> list[int]:
    found = await session.scalars(
        select(Series.id).where(Series.id > after).order_by(Series.id).limit(limit)
    )
    return list(found)


async def settings_row(session: AsyncSession) -> TelemetrySettings | None:
    return await session.scalar(select(TelemetrySettings))


async def lock_settings(session: AsyncSession) -> TelemetrySettings | None:
    return await session.scalar(
        select(TelemetrySettings).with_for_update().execution_options(populate_existing=True)
    )


async def rule(session: AsyncSession, ident: uuid.UUID | str) -> Rule:
    return await get_or_404(session, Rule, ident, "telemetry rule")


async def lock_rule(session: AsyncSession, rule_id: uuid.UUID) -> Rule | None:
    return await session.scalar(
        select(Rule)
        .where(Rule.id == rule_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def rules(
    *,
    enabled: bool | None = None,
    metric_name: str | None = None,
    severity: str | None = None,
    search: str | None = None,
    ordering: str | None = None,
) -> Select[Any]:
    stmt = select(Rule)
    if enabled is not None:
        stmt = stmt.where(Rule.enabled == enabled)
    if metric_name:
        stmt = stmt.where(Rule.metric_name == metric_name)
    if severity:
        stmt = stmt.where(Rule.severity == severity)
    stmt = apply_search(stmt, search, [Rule.name, Rule.description, Rule.metric_name])
    return apply_ordering(
        stmt,
        ordering,
        {"name": Rule.name, "created_at": Rule.created_at, "severity": Rule.severity},
        "name",
        Rule.id,
    )


async def states(session: AsyncSession, rule_ids: Sequence[uuid.UUID]) -> list[RuleSeriesState]:
    if not rule_ids:
        return []
    found = await session.scalars(
        select(RuleSeriesState)
        .where(RuleSeriesState.rule_id.in_(rule_ids))
        .order_by(RuleSeriesState.labels_hash)
    )
    return list(found)
