"""Queries of the audit trail (org-scoped by the session's tenancy guard, `imas.db`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.api.filtering import apply_ordering, apply_range, apply_search
from imas.audit.models import AuditEvent
from imas.errors import NotFound, ValidationFailed

SHORT_ID = re.compile(r"^INC-[A-Z0-9]{6}$", re.IGNORECASE)

ORDERING = {
    "timestamp": AuditEvent.timestamp,
    "action": AuditEvent.action,
    "actor": AuditEvent.actor_name,
}


def _incident_clause(field: str, ref: str) -> ColumnElement[bool]:
    """Events of the incident `ref` names: its UUID, or its short id (`INC-XXXXXX`).

    A short id is resolved through the trail itself (the `incident.created` row's snapshot), so
    the history of a deleted incident can still be found by the id people wrote down.
    """
    ref = ref.strip()
    if SHORT_ID.match(ref):
        created = select(AuditEvent.incident_id).where(
            AuditEvent.object_type == "incident",
            AuditEvent.action == "incident.created",
            AuditEvent.after["short_id"].as_string() == ref.upper(),
        )
        return AuditEvent.incident_id.in_(created)
    try:
        return AuditEvent.incident_id == uuid.UUID(ref)
    except ValueError:
        raise ValidationFailed.field(
            field, "expected an incident id (UUID) or short id (INC-XXXXXX)"
        ) from None


def _actor_clause(ref: str) -> ColumnElement[bool]:
    ref = ref.strip()
    try:
        return AuditEvent.actor_id == uuid.UUID(ref)
    except ValueError:
        return AuditEvent.actor_name == ref


def visible(*, incident_only: bool) -> Select[Any]:
    """Every event of the organization, or only those attached to an incident."""
    stmt = select(AuditEvent)
    if incident_only:
        stmt = stmt.where(AuditEvent.incident_id.is_not(None))
    return stmt


def filtered(
    *,
    incident_only: bool,
    incidents: Mapping[str, str | None] | None = None,
    actor: str | None = None,
    action: str | None = None,
    action_in: list[str] | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    request_id: str | None = None,
    timestamp_gte: datetime | None = None,
    timestamp_lte: datetime | None = None,
    search: str | None = None,
    ordering: str | None = None,
) -> Select[Any]:
    """The trail's selection; `incidents` maps a query parameter's name to the reference given."""
    stmt = visible(incident_only=incident_only)
    for field, ref in (incidents or {}).items():
        if ref is not None:
            stmt = stmt.where(_incident_clause(field, ref))
    if actor:
        stmt = stmt.where(_actor_clause(actor))
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    if action_in:
        stmt = stmt.where(AuditEvent.action.in_(action_in))
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    if request_id:
        stmt = stmt.where(AuditEvent.request_id == request_id)
    stmt = apply_range(stmt, AuditEvent.timestamp, gte=timestamp_gte, lte=timestamp_lte)
    stmt = apply_search(stmt, search, [AuditEvent.summary])
    return apply_ordering(stmt, ordering, ORDERING, "-timestamp", AuditEvent.id)


async def get(session: AsyncSession, event_id: uuid.UUID, *, incident_only: bool) -> AuditEvent:
    """One event the caller may see, or NotFound (404)."""
    stmt = visible(incident_only=incident_only).where(AuditEvent.id == event_id)
    event: AuditEvent | None = await session.scalar(stmt)
    if event is None:
        raise NotFound.of("audit event", event_id)
    return event
