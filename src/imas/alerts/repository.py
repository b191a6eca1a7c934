"""Queries of the alert domain, each from a plain select of an `OrgOwned` model that the
session's tenancy guard scopes to the caller's organization (`imas.db`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.interfaces import ORMOption

from imas.alerts.models import Alert, AlertStatus, Integration, Silence
from imas.alerts.schemas import SEVERITIES_OF_LEVEL
from imas.api.filtering import apply_ordering, apply_range, apply_search, split_csv
from imas.catalog.models import Service
from imas.errors import ValidationFailed
from imas.incidents.models import Incident, Status

SHORT_ID = re.compile(r"^INC-[A-Z0-9]{6}$", re.IGNORECASE)

INTEGRATION_LOAD: Sequence[ORMOption] = (joinedload(Integration.default_service),)
ALERT_LIST_LOAD: Sequence[ORMOption] = (
    joinedload(Alert.integration),
    joinedload(Alert.service),
    joinedload(Alert.incident),
)
ALERT_DETAIL_LOAD: Sequence[ORMOption] = (
    *ALERT_LIST_LOAD,
    joinedload(Alert.acknowledged_by),
    joinedload(Alert.resolved_by),
)
SILENCE_LOAD: Sequence[ORMOption] = (joinedload(Silence.created_by),)

ALERT_ORDERING = {
    "created_at": Alert.created_at,
    "last_seen": Alert.last_seen,
    "starts_at": Alert.starts_at,
    "severity": Alert.severity,
    "status": Alert.status,
    "occurrence_count": Alert.occurrence_count,
    "title": Alert.title,
}


# Integrations -------------------------------------------------------------------------------


async def integration_by_key_hash(session: AsyncSession, token_hash: str) -> Integration | None:
    """The integration of a key, in whichever organization (the caller is not known yet)."""
    return await session.scalar(
        select(Integration)
        .where(Integration.token_hash == token_hash)
        .execution_options(all_orgs=True)
    )


async def integrations_by_key_hashes(
    session: AsyncSession, token_hashes: Collection[str]
) -> dict[str, Integration]:
    """The integrations of several keys, in whichever organization: `{token_hash: integration}`,
    locked like `lock_integration` (in id order, so that two writers cannot deadlock)."""
    if not token_hashes:
        return {}
    found = await session.scalars(
        select(Integration)
        .where(Integration.token_hash.in_(set(token_hashes)))
        .order_by(Integration.id)
        .with_for_update(key_share=True)
        .execution_options(all_orgs=True, populate_existing=True)
    )
    return {integration.token_hash: integration for integration in found}


async def lock_integration(session: AsyncSession, integration_id: uuid.UUID) -> Integration:
    """Re-read the integration, locked until the transaction ends (PostgreSQL; `FOR NO KEY
    UPDATE`, so inserting alerts that refer to it is not blocked). On SQLite the write
    transaction's BEGIN IMMEDIATE already serializes writers."""
    found = await session.scalar(
        select(Integration)
        .where(Integration.id == integration_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    assert found is not None, "the integration vanished during its own post"
    return found


def integrations(
    kind: str | None = None, is_active: bool | None = None, search: str | None = None
) -> Select[Any]:
    stmt = select(Integration).options(*INTEGRATION_LOAD)
    if kind is not None:
        stmt = stmt.where(Integration.kind == kind)
    if is_active is not None:
        stmt = stmt.where(Integration.is_active.is_(is_active))
    return apply_search(stmt, search, [Integration.name, Integration.description])


async def has_alerts(session: AsyncSession, integration_id: uuid.UUID) -> bool:
    found = await session.scalar(
        select(Alert.id).where(Alert.integration_id == integration_id).limit(1)
    )
    return found is not None


# Alerts: intake -----------------------------------------------------------------------------


async def open_incident_of_group(
    session: AsyncSession, integration_id: uuid.UUID, group_key: str
) -> Incident | None:
    """The newest unresolved incident that an alert of this group key is attached to."""
    # The group's incident ids come from the index on (integration, group key, incident) alone,
    # however many alerts the group has had.
    of_group = (
        select(Alert.incident_id)
        .where(
            Alert.integration_id == integration_id,
            Alert.group_key == group_key,
            Alert.incident_id.is_not(None),
        )
        .distinct()
    )
    return await session.scalar(
        select(Incident)
        .where(Incident.id.in_(of_group), Incident.status != Status.RESOLVED)
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(1)
    )


async def groups_with_open_incident(
    session: AsyncSession, integration_id: uuid.UUID, group_keys: Collection[str]
) -> set[str]:
    """Which of these group keys have an alert attached to an unresolved incident."""
    found = await session.scalars(
        select(Alert.group_key)
        .join(Incident, Incident.id == Alert.incident_id)
        .where(
            Alert.integration_id == integration_id,
            Alert.group_key.in_(set(group_keys)),
            Incident.status != Status.RESOLVED,
        )
        .distinct()
    )
    return set(found.all())


async def lock_incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident | None:
    """The incident, re-read and row-locked until the transaction ends (PostgreSQL): alerts
    attach to it and its last alert's resolution is counted one transaction at a time."""
    return await session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def lock_incidents(session: AsyncSession, ids: Collection[uuid.UUID]) -> list[Incident]:
    """`lock_incident` for several, locked in id order (so two writers cannot deadlock)."""
    if not ids:
        return []
    found = await session.scalars(
        select(Incident)
        .where(Incident.id.in_(set(ids)))
        .order_by(Incident.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(found.all())


async def incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident | None:
    return await session.scalar(select(Incident).where(Incident.id == incident_id))


async def has_unresolved_alerts(session: AsyncSession, incident_id: uuid.UUID) -> bool:
    """Whether any alert of the incident is unresolved (stops at the first: an incident of a
    noisy group may have thousands)."""
    found = await session.scalar(
        select(Alert.id)
        .where(Alert.incident_id == incident_id, Alert.is_resolved.is_(False))
        .limit(1)
    )
    return found is not None


async def short_ids(
    session: AsyncSession, ids: Collection[uuid.UUID], *, all_orgs: bool = False
) -> dict[uuid.UUID, str]:
    """`all_orgs`: the ids come from several organizations' posts (the intake's group commit)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Incident.id, Incident.short_id)
        .where(Incident.id.in_(set(ids)))
        .execution_options(all_orgs=all_orgs)
    )
    return {row.id: row.short_id for row in rows}


async def services_named(session: AsyncSession, names: Collection[str]) -> dict[str, uuid.UUID]:
    """Service ids by name, matched exactly, else case-insensitively: `{name: id}` with both
    the exact and the lower-case name as keys."""
    wanted = {n.lower() for n in names if n}
    if not wanted:
        return {}
    rows = (
        await session.execute(
            select(Service.id, Service.name).where(func.lower(Service.name).in_(wanted))
        )
    ).all()
    found: dict[str, uuid.UUID] = {}
    for row in sorted(rows, key=lambda r: r.name):
        found[row.name] = row.id
        found.setdefault(row.name.lower(), row.id)
    return found


async def active_silences(session: AsyncSession, now: datetime) -> list[Silence]:
    found = await session.scalars(
        select(Silence)
        .where(Silence.starts_at <= now, Silence.ends_at > now)
        .order_by(Silence.ends_at.desc(), Silence.id)
    )
    return list(found.all())


# Alerts: the API ----------------------------------------------------------------------------


def _statuses(raw: str) -> list[str]:
    values = [v.strip().lower() for v in raw.split(",") if v.strip()]
    allowed = {s.value for s in AlertStatus}
    bad = [v for v in values if v not in allowed]
    if bad:
        raise ValidationFailed.field(
            "status", f"unknown status {', '.join(bad)}; use {', '.join(sorted(allowed))}"
        )
    return values


def _levels(raw: str | None) -> list[str]:
    """Seed 003's levels (`error,critical`) -> the IMAS severities they show."""
    values = [v.lower() for v in split_csv(raw)]
    bad = [v for v in values if v not in SEVERITIES_OF_LEVEL]
    if bad:
        raise ValidationFailed.field(
            "level", f"unknown level {', '.join(bad)}; use info, warning, error or critical"
        )
    return [SEVERITIES_OF_LEVEL[v] for v in values]


def _label(name: str) -> Any:
    """The label's value as text (NULL when the alert has no such label), on either dialect."""
    return Alert.labels[name].as_string()


def _reference(column: Any, name_column: Any, model: Any, raw: str) -> Any:
    """`column` equal to the id `raw`, or to the id of the `model` row whose name is `raw`."""
    try:
        return column == uuid.UUID(raw)
    except ValueError:
        return column.in_(select(model.id).where(name_column == raw))


def alerts(
    *,
    status: str | None = None,
    severity: Sequence[str] | None = None,
    level: str | None = None,
    alert_type: str | None = None,
    pipeline_run: str | None = None,
    source: str | None = None,
    service: str | None = None,
    incident: str | None = None,
    integration: uuid.UUID | None = None,
    is_resolved: bool | None = None,
    silenced: bool | None = None,
    search: str | None = None,
    created_at_gte: datetime | None = None,
    created_at_lte: datetime | None = None,
    ordering: str | None = None,
) -> Select[Any]:
    stmt = select(Alert)
    if status:
        stmt = stmt.where(Alert.status.in_(_statuses(status)))
    if severity:
        stmt = stmt.where(Alert.severity.in_(severity))
    if split_csv(level):
        stmt = stmt.where(Alert.severity.in_(_levels(level)))
    if split_csv(alert_type):
        # As the alert shows it: its `alert_type` label, else its source kind.
        shown = func.coalesce(_label("alert_type"), Alert.source)
        stmt = stmt.where(shown.in_(split_csv(alert_type)))
    if split_csv(pipeline_run):
        stmt = stmt.where(_label("pipeline_run").in_(split_csv(pipeline_run)))
    if source:
        stmt = stmt.where(Alert.source == source)
    if service:
        stmt = stmt.where(_reference(Alert.service_id, Service.name, Service, service))
    if incident:
        if SHORT_ID.match(incident):
            ids = select(Incident.id).where(Incident.short_id == incident.upper())
            stmt = stmt.where(Alert.incident_id.in_(ids))
        else:
            try:
                stmt = stmt.where(Alert.incident_id == uuid.UUID(incident))
            except ValueError:
                raise ValidationFailed.field(
                    "incident", "expected an incident id or short id (INC-XXXXXX)"
                ) from None
    if integration is not None:
        stmt = stmt.where(Alert.integration_id == integration)
    if is_resolved is not None:
        stmt = stmt.where(Alert.is_resolved.is_(is_resolved))
    if silenced is not None:
        stmt = stmt.where(Alert.silenced.is_(silenced))
    stmt = apply_search(stmt, search, [Alert.title, Alert.fingerprint])
    stmt = apply_range(stmt, Alert.created_at, gte=created_at_gte, lte=created_at_lte)
    return apply_ordering(stmt, ordering, ALERT_ORDERING, "-created_at", Alert.id)


# Silences -----------------------------------------------------------------------------------


def silences(state: str | None = None, now: datetime | None = None) -> Select[Any]:
    stmt = select(Silence).options(*SILENCE_LOAD)
    if state is not None and now is not None:
        if state == "active":
            stmt = stmt.where(Silence.starts_at <= now, Silence.ends_at > now)
        elif state == "pending":
            stmt = stmt.where(Silence.starts_at > now)
        elif state == "expired":
            stmt = stmt.where(Silence.ends_at <= now)
    return stmt.order_by(Silence.ends_at.desc(), Silence.id)


async def alert(session: AsyncSession, alert_id: uuid.UUID) -> Alert | None:
    return await session.scalar(
        select(Alert)
        .where(Alert.id == alert_id)
        .options(*ALERT_DETAIL_LOAD)
        .execution_options(populate_existing=True)
    )


async def lock_alert(session: AsyncSession, alert_id: uuid.UUID) -> Alert | None:
    return await session.scalar(
        select(Alert)
        .where(Alert.id == alert_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def integration_of_alert(session: AsyncSession, alert_id: uuid.UUID) -> uuid.UUID | None:
    return await session.scalar(select(Alert.integration_id).where(Alert.id == alert_id))
