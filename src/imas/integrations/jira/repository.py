"""Queries of the JIRA integration (org-scoped by the session's tenancy guard, except the
look-up that finds the organization of a webhook call, which says so)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.incidents.models import Incident
from imas.integrations.jira.models import JiraConfig, JiraIssue

_CACHE = "jira.config"


async def config(session: AsyncSession) -> JiraConfig | None:
    return await session.scalar(select(JiraConfig))


async def active_config(session: AsyncSession) -> JiraConfig | None:
    """Read once per session and organization (an alert post that opens many incidents asks
    once)."""
    known: dict[object, JiraConfig | None] = session.info.setdefault(_CACHE, {})
    org = session.info.get("organization_id")
    if org not in known:
        known[org] = await session.scalar(select(JiraConfig).where(JiraConfig.is_active))
    return known[org]


def forget(session: AsyncSession) -> None:
    session.info.pop(_CACHE, None)


async def config_by_secret_hash(session: AsyncSession, token_hash: str) -> JiraConfig | None:
    """Across organizations: whose webhook secret is this?"""
    return await session.scalar(
        select(JiraConfig)
        .where(JiraConfig.token_hash == token_hash, JiraConfig.is_active)
        .execution_options(all_orgs=True)
    )


async def issue_of(session: AsyncSession, incident_id: uuid.UUID) -> JiraIssue | None:
    return await session.scalar(select(JiraIssue).where(JiraIssue.incident_id == incident_id))


async def lock_issue_of(session: AsyncSession, incident_id: uuid.UUID) -> JiraIssue | None:
    return await session.scalar(
        select(JiraIssue)
        .where(JiraIssue.incident_id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def lock_issue_by_key(session: AsyncSession, key: str) -> JiraIssue | None:
    return await session.scalar(
        select(JiraIssue)
        .where(JiraIssue.issue_key == key)
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
