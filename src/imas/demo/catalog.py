"""Demo teams, services, impact scopes, tags and a runbook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from imas.catalog.models import ImpactScope, Runbook, RunbookStep, Service, Tag, Team
from imas.orgs.models import Organization, User

M = TypeVar("M")


@dataclass
class DemoCatalog:
    teams: dict[str, Team]
    services: dict[str, Service]
    scopes: dict[str, ImpactScope]


async def _get_or_add(
    session: AsyncSession, model: type[M], key: str, value: str, **fields: Any
) -> M:
    found = await session.scalar(select(model).where(getattr(model, key) == value))
    if found is None:
        found = model(**{key: value}, **fields)
        session.add(found)
        await session.flush()
    return found


async def load_catalog(
    session: AsyncSession, org: Organization, admin: User, responder: User
) -> DemoCatalog:
    sre = await _get_or_add(
        session,
        Team,
        "name",
        "SRE Core",
        slack_channel_id="C0123456789",
        on_call_user_id=responder.id,
        description="Owns the shared infrastructure",
    )
    data = await _get_or_add(
        session,
        Team,
        "name",
        "Data Platform",
        slack_channel_id="C0987654321",
        on_call_user_id=admin.id,
        description="Pipelines and the warehouse",
    )
    for team, members in ((sre, [admin, responder]), (data, [admin])):
        loaded = await session.scalar(
            select(Team).where(Team.id == team.id).options(selectinload(Team.members))
        )
        assert loaded is not None
        for member in members:
            if member not in loaded.members:
                loaded.members.append(member)
    services = {}
    for name, tier, team, runbook_url, description in (
        (
            "redis-prod",
            "TIER_1_CRITICAL",
            sre,
            "https://wiki.example.com/redis-recovery",
            "Session cache",
        ),
        (
            "api-gateway",
            "TIER_1_CRITICAL",
            sre,
            "https://wiki.example.com/gateway",
            "Public API edge",
        ),
        ("payments", "TIER_2_HIGH", sre, None, "Card payments"),
        ("etl-nightly", "TIER_3_MEDIUM", data, None, "Nightly warehouse load"),
        ("internal-wiki", "TIER_4_LOW", data, None, "Docs"),
    ):
        services[name] = await _get_or_add(
            session,
            Service,
            "name",
            name,
            criticality=tier,
            owner_team_id=team.id,
            runbook_url=runbook_url,
            description=description,
        )
    scopes = {
        name: await _get_or_add(session, ImpactScope, "name", name, description=text)
        for name, text in (
            ("Data Loss Risk", "Data may be lost or corrupted"),
            ("Customer Facing", "Customers see errors or slowness"),
            ("Revenue Impact", "Payments or sign-ups are affected"),
        )
    }
    for name, color in (
        ("postmortem-required", "#dc3545"),
        ("customer-impact", "#fd7e14"),
        ("database", "#0d6efd"),
    ):
        await _get_or_add(session, Tag, "name", name, color=color)
    runbook = await session.scalar(select(Runbook).where(Runbook.title == "Redis Cluster Recovery"))
    if runbook is None:
        runbook = Runbook(
            title="Redis Cluster Recovery",
            description="Steps to recover a failed Redis cluster",
            service_id=services["redis-prod"].id,
        )
        runbook.steps = [
            RunbookStep(
                order=1,
                title="Check cluster status",
                description="Verify the state of all nodes",
                command="redis-cli cluster info",
                expected_duration_minutes=2,
            ),
            RunbookStep(
                order=2,
                title="Identify failed nodes",
                command="redis-cli cluster nodes | grep fail",
                is_critical=True,
            ),
            RunbookStep(
                order=3,
                title="Fail over",
                command="redis-cli cluster failover",
                expected_duration_minutes=5,
                is_critical=True,
                requires_confirmation=True,
            ),
        ]
        session.add(runbook)
        await session.flush()
    return DemoCatalog(
        teams={"SRE Core": sre, "Data Platform": data}, services=services, scopes=scopes
    )
