"""The alerts of a post as plain rows, read and written with SQLAlchemy Core.

The intake touches a few hundred alerts per transaction and writes each back with one
statement per kind of change, so it needs none of the ORM's identity map or change tracking;
building and reading ORM objects cost more than the rest of the intake (the profile of
`bench/ingest.py` showed `Alert.__init__` and attribute instrumentation on top). Everything else
(the API, the alerts service) keeps using `imas.alerts.models.Alert`, over the same table.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts.models import Alert, AlertStatus

ALERTS = cast(Table, Alert.__table__)
COLUMNS = tuple(c.key for c in ALERTS.columns)

NOT_LOADED = ("annotations", "links", "raw_payload")
"""Never read or changed by the intake once stored: not loaded for the stored alerts."""

CHANGING = (
    "last_seen",
    "occurrence_count",
    "acknowledged_at",
    "status",
    "ends_at",
    "is_resolved",
    "resolved_at",
    "service_id",
    "group_key",
    "silenced",
    "silence_id",
    "intake_note",
    "incident_id",
)
"""What the intake may change on a stored alert (`write_back`)."""


@dataclass(slots=True, eq=False)
class AlertRow:
    """One row of `alerts`, with the same column names as `Alert`."""

    id: uuid.UUID
    organization_id: uuid.UUID
    integration_id: uuid.UUID
    source: str
    fingerprint: str
    group_key: str
    status: str
    title: str
    description: str
    labels: dict[str, Any]
    severity: str
    starts_at: datetime | None
    first_seen: datetime
    last_seen: datetime
    created_at: datetime
    updated_at: datetime
    occurrence_count: int = 1
    service_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None
    ends_at: datetime | None = None
    silenced: bool = False
    silence_id: uuid.UUID | None = None
    intake_note: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by_id: uuid.UUID | None = None
    is_resolved: bool = False
    resolved_at: datetime | None = None
    resolved_by_id: uuid.UUID | None = None
    resolution_note: str | None = None
    annotations: dict[str, Any] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    raw_payload: dict[str, Any] = field(default_factory=dict)
    loaded: tuple[Any, ...] | None = None
    """The `CHANGING` columns as read (`current_alerts`): `write_back` sets only what differs"""

    def changed(self) -> tuple[str, ...]:
        if self.loaded is None:
            return CHANGING
        return tuple(
            name
            for name, was in zip(CHANGING, self.loaded, strict=True)
            if getattr(self, name) != was
        )


_LOADED = tuple(getattr(Alert, name) for name in COLUMNS if name not in NOT_LOADED)


async def current_alerts(
    session: AsyncSession, integration_id: uuid.UUID, fingerprints: Collection[str]
) -> dict[str, AlertRow]:
    """For each fingerprint that has any, its current alert: the firing one, else the latest
    (one query for a whole post; read in the caller's transaction, after its locks). Selected
    through the mapped columns, so the session's organization filter applies."""
    if not fingerprints:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=Alert.fingerprint,
            order_by=(
                case((Alert.status == AlertStatus.FIRING, 0), else_=1),
                Alert.first_seen.desc(),
                Alert.id.desc(),
            ),
        )
        .label("rank")
    )
    ranked = (
        select(Alert.id, rank)
        .where(Alert.integration_id == integration_id, Alert.fingerprint.in_(set(fingerprints)))
        .subquery()
    )
    found = await session.execute(
        select(*_LOADED).join(ranked, ranked.c.id == Alert.id).where(ranked.c.rank == 1)
    )
    alerts = {row.fingerprint: AlertRow(**row._mapping) for row in found}
    for alert in alerts.values():
        alert.loaded = tuple(getattr(alert, name) for name in CHANGING)
    return alerts


async def insert_rows(session: AsyncSession, alerts: list[AlertRow]) -> None:
    if alerts:
        await session.execute(
            insert(ALERTS), [{name: getattr(a, name) for name in COLUMNS} for a in alerts]
        )


async def write_back(session: AsyncSession, alerts: Collection[AlertRow], now: datetime) -> None:
    """The changed columns of stored alerts: one executemany per set of changed columns. A
    repeat changes only its count and last seen, and an UPDATE that does not name an indexed
    column leaves the indexes alone (SQLite rewrites the entries of every index whose columns
    it sets, even to the same value: about four times the work per row)."""
    by_change: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for a in alerts:
        names = a.changed()
        if names:
            row = {name: getattr(a, name) for name in names}
            by_change.setdefault(names, []).append({"_id": a.id, **row, "updated_at": now})
    for rows in by_change.values():
        await session.execute(update(ALERTS).where(ALERTS.c.id == bindparam("_id")), rows)
