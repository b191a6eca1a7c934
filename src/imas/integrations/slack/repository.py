"""Queries of the Slack integration (org-scoped by the session's tenancy guard, except the
look-ups that find the organization of an inbound request, which say so)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.models import Service
from imas.incidents.models import Incident, Status
from imas.integrations.slack.models import SlackConfig, SlackMessage

_CACHE = "slack.config"


async def config(session: AsyncSession) -> SlackConfig | None:
    return await session.scalar(select(SlackConfig))


async def active_config(session: AsyncSession) -> SlackConfig | None:
    """The organization's active configuration, read once per session and organization (an
    alert post that opens many incidents asks once)."""
    known: dict[object, SlackConfig | None] = session.info.setdefault(_CACHE, {})
    org = session.info.get("organization_id")
    if org not in known:
        known[org] = await session.scalar(select(SlackConfig).where(SlackConfig.is_active))
    return known[org]


def forget(session: AsyncSession) -> None:
    session.info.pop(_CACHE, None)


async def config_by_team(session: AsyncSession, team_id: str) -> SlackConfig | None:
    """Across organizations: whose workspace is this?"""
    return await session.scalar(
        select(SlackConfig)
        .where(SlackConfig.team_id == team_id, SlackConfig.is_active)
        .execution_options(all_orgs=True)
    )


async def all_active_configs(session: AsyncSession) -> Sequence[SlackConfig]:
    """Across organizations (for Slack's `url_verification`, which names no workspace)."""
    rows = await session.scalars(
        select(SlackConfig).where(SlackConfig.is_active).execution_options(all_orgs=True)
    )
    return rows.all()


async def message_of(session: AsyncSession, incident_id: uuid.UUID) -> SlackMessage | None:
    return await session.scalar(select(SlackMessage).where(SlackMessage.incident_id == incident_id))


async def lock_message(session: AsyncSession, incident_id: uuid.UUID) -> SlackMessage | None:
    """Row-locked (PostgreSQL; SQLite's write transaction serializes), so two jobs of one
    incident never both post its first message."""
    return await session.scalar(
        select(SlackMessage)
        .where(SlackMessage.incident_id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def lock_incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident | None:
    return await session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident | None:
    return await session.scalar(
        select(Incident).where(Incident.id == incident_id).execution_options(populate_existing=True)
    )


async def service_name(session: AsyncSession, service_id: uuid.UUID) -> str:
    service = await session.get(Service, service_id)
    return service.name if service else ""


async def open_incidents(session: AsyncSession, limit: int = 10) -> Sequence[Incident]:
    rows = await session.scalars(
        select(Incident)
        .where(Incident.status != Status.RESOLVED)
        .order_by(Incident.created_at.desc())
        .limit(limit)
    )
    return rows.all()


async def services(session: AsyncSession, limit: int = 100) -> Sequence[Service]:
    rows = await session.scalars(select(Service).order_by(Service.name).limit(limit))
    return rows.all()


async def find_incident(session: AsyncSession, ident: str) -> Incident | None:
    """By short id (`INC-A1B2C3`, any case) or UUID; None when no such incident in the org."""
    ident = ident.strip()
    try:
        key = Incident.id == uuid.UUID(ident)
    except ValueError:
        key = Incident.short_id == ident.upper()
    return await session.scalar(select(Incident).where(key))
