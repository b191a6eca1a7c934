"""Demo incidents, one or more in every state, with comments and tags."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import utcnow
from imas.demo.catalog import DemoCatalog
from imas.incidents import service as incidents
from imas.incidents.models import Incident
from imas.incidents.schemas import CommentCreate, IncidentCreate
from imas.orgs.models import User

# title, service, severity, final status, minutes ago detected, tags, scopes
STORIES: tuple[tuple[str, str, str, str, int, list[str], list[str]], ...] = (
    (
        "High latency on API Gateway",
        "api-gateway",
        "SEV2_HIGH",
        "TRIGGERED",
        4,
        ["customer-impact"],
        ["Customer Facing"],
    ),
    (
        "Redis Cluster Down",
        "redis-prod",
        "SEV1_CRITICAL",
        "ACKNOWLEDGED",
        25,
        ["database"],
        ["Data Loss Risk"],
    ),
    (
        "Payment webhooks delayed",
        "payments",
        "SEV2_HIGH",
        "MITIGATED",
        90,
        ["customer-impact"],
        ["Revenue Impact"],
    ),
    (
        "Nightly ETL failed",
        "etl-nightly",
        "SEV3_MEDIUM",
        "RESOLVED",
        600,
        ["postmortem-required"],
        [],
    ),
    ("Wiki search is slow", "internal-wiki", "SEV4_LOW", "RESOLVED", 2000, [], []),
)


async def load_incidents(
    session: AsyncSession, catalog: DemoCatalog, admin: User, responder: User
) -> None:
    for title, service, severity, status, minutes, tags, scopes in STORIES:
        if await session.scalar(select(Incident.id).where(Incident.title == title)) is not None:
            continue
        incident = await incidents.create_incident(
            session,
            admin,
            IncidentCreate(
                title=title,
                description=f"{title}: demo incident.",
                service=catalog.services[service].id,
                severity=severity,
                detected_at=utcnow() - timedelta(minutes=minutes),
                tags=tags,
                impacted_scopes=[catalog.scopes[s].id for s in scopes],
                assigned_team=catalog.services[service].owner_team_id,
            ),
        )
        if status in ("ACKNOWLEDGED", "MITIGATED", "RESOLVED"):
            await incidents.acknowledge(session, incident.id, responder, "Looking into it")
            await incidents.add_comment(
                session,
                incident,
                responder,
                CommentCreate(
                    content="Dashboards confirm the impact.", comment_type="investigation"
                ),
            )
        if status in ("MITIGATED", "RESOLVED"):
            await incidents.mitigate(session, incident.id, responder, "Traffic shifted away")
        if status == "RESOLVED":
            await incidents.resolve(
                session,
                incident.id,
                responder,
                resolution_note="Restarted the failed worker.",
                root_cause="A full disk on one node",
            )
