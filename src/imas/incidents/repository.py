"""Queries of the incident domain (org-scoped by the session's tenancy guard)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.interfaces import ORMOption

from imas.api.filtering import apply_ordering, apply_range, apply_search
from imas.catalog.models import Service, Tag, Team
from imas.errors import NotFound, ValidationFailed
from imas.incidents.models import Comment, Incident, SlaPolicy, Status, TimelineEntry, incident_tags

SHORT_ID = re.compile(r"^INC-[A-Z0-9]{6}$", re.IGNORECASE)

LIST_OPTIONS: tuple[ORMOption, ...] = (
    joinedload(Incident.service),
    joinedload(Incident.lead),
    joinedload(Incident.assigned_team),
    joinedload(Incident.assigned_user),
    selectinload(Incident.tags),
)
DETAIL_OPTIONS: tuple[ORMOption, ...] = (
    joinedload(Incident.service).joinedload(Service.owner_team),
    joinedload(Incident.lead),
    joinedload(Incident.assigned_team),
    joinedload(Incident.assigned_user),
    joinedload(Incident.acknowledged_by),
    joinedload(Incident.resolved_by),
    selectinload(Incident.tags),
    selectinload(Incident.impacted_scopes),
    selectinload(Incident.timeline).joinedload(TimelineEntry.actor),
)

ORDERING = {
    "created_at": Incident.created_at,
    "updated_at": Incident.updated_at,
    "detected_at": Incident.detected_at,
    "severity": Incident.severity,
    "status": Incident.status,
    "title": Incident.title,
    "short_id": Incident.short_id,
}


def key(ident: str) -> Any:
    """The column and value an incident reference (UUID or `INC-XXXXXX`) designates."""
    if SHORT_ID.match(ident):
        return Incident.short_id == ident.upper()
    try:
        return Incident.id == uuid.UUID(ident)
    except ValueError:
        raise NotFound.of("incident", ident) from None


async def get(
    session: AsyncSession,
    ident: str,
    options: Sequence[ORMOption] = DETAIL_OPTIONS,
    *,
    fresh: bool = False,
) -> Incident:
    """By id or short id; `fresh` re-reads rows already in the session (after a change)."""
    stmt = select(Incident).where(key(ident)).options(*options)
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    incident = await session.scalar(stmt)
    if incident is None:
        raise NotFound.of("incident", ident)
    return incident


async def lock(session: AsyncSession, incident_id: uuid.UUID) -> Incident:
    """Re-read the incident, row-locked until the transaction ends (PostgreSQL).

    On SQLite the write transaction already began with BEGIN IMMEDIATE, which serializes writers.
    """
    incident = await session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if incident is None:
        raise NotFound.of("incident", incident_id)
    return incident


async def open_duplicate(
    session: AsyncSession, service_id: uuid.UUID, title: str
) -> Incident | None:
    return await session.scalar(
        select(Incident).where(
            Incident.service_id == service_id,
            Incident.title == title,
            Incident.status != Status.RESOLVED,
        )
    )


def _statuses(raw: str) -> list[str]:
    values = [v.strip().upper() for v in raw.split(",") if v.strip()]
    bad = [v for v in values if v not in Status.__members__]
    if bad:
        allowed = ", ".join(s.lower() for s in Status)
        raise ValidationFailed.field("status", f"unknown status {', '.join(bad)}; use {allowed}")
    return values


def filtered(
    *,
    status: str | None = None,
    severity: list[str] | None = None,
    service: uuid.UUID | None = None,
    assigned_team: str | None = None,
    tag: str | None = None,
    search: str | None = None,
    created_at_gte: datetime | None = None,
    created_at_lte: datetime | None = None,
    remediation_status: str | None = None,
    remediation_attempts_gte: int | None = None,
    ordering: str | None = None,
) -> Select[Any]:
    stmt = select(Incident)
    if remediation_status:
        wanted = [s.strip() for s in remediation_status.split(",") if s.strip()]
        stmt = stmt.where(Incident.remediation_status.in_(wanted))
    if remediation_attempts_gte is not None:
        stmt = stmt.where(Incident.remediation_attempts >= remediation_attempts_gte)
    if status:
        stmt = stmt.where(Incident.status.in_(_statuses(status)))
    if severity:
        stmt = stmt.where(Incident.severity.in_(severity))
    if service:
        stmt = stmt.where(Incident.service_id == service)
    if assigned_team:
        try:
            stmt = stmt.where(Incident.assigned_team_id == uuid.UUID(assigned_team))
        except ValueError:
            team_ids = select(Team.id).where(Team.name == assigned_team)
            stmt = stmt.where(Incident.assigned_team_id.in_(team_ids))
    if tag:
        tagged = select(incident_tags.c.incident_id).join(Tag, Tag.id == incident_tags.c.tag_id)
        stmt = stmt.where(Incident.id.in_(tagged.where(Tag.name == tag)))
    stmt = apply_search(stmt, search, [Incident.title, Incident.description])
    stmt = apply_range(stmt, Incident.created_at, gte=created_at_gte, lte=created_at_lte)
    return apply_ordering(stmt, ordering, ORDERING, "-created_at", Incident.id)


async def sla_policies(session: AsyncSession) -> dict[str, SlaPolicy]:
    rows = (await session.scalars(select(SlaPolicy))).all()
    return {row.severity: row for row in rows}


def comments_of(incident_id: uuid.UUID) -> Select[Any]:
    return (
        select(Comment)
        .where(Comment.incident_id == incident_id)
        .options(joinedload(Comment.author))
        .order_by(Comment.created_at, Comment.id)
    )
