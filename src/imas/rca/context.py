"""What an analyzer may look at: the incident, its alerts, its service and runbooks, and the
similar resolved incidents (read once, shared by the built-in and the LLM analyzers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from imas.alerts.classification import Classification, classify
from imas.alerts.models import Alert
from imas.catalog.models import Runbook, Service
from imas.incidents.models import Incident
from imas.rca import search

SIMILAR_LIMIT = 5
RELATIVE_FLOOR = 0.5
"""A match scoring under half the best one shares a word or two, not the problem: left out."""
ALERTS_READ = 50


@dataclass(frozen=True)
class Similar:
    incident: Incident
    score: float

    @property
    def mttr(self) -> timedelta | None:
        resolved = self.incident.resolved_at
        return resolved - self.incident.created_at if resolved else None


@dataclass(frozen=True)
class Context:
    incident: Incident
    service: Service
    alerts: list[Alert]
    runbooks: list[Runbook]
    similar: list[Similar]
    classification: Classification

    @property
    def text(self) -> str:
        """The incident's own words: its title, description and alerts'."""
        parts = [self.incident.title, self.incident.description]
        for alert in self.alerts:
            parts += [alert.title, alert.description, *map(str, alert.annotations.values())]
        return "\n".join(p for p in parts if p)


async def similar(
    session: AsyncSession, incident: Incident, words: list[str], limit: int
) -> list[Similar]:
    matches = await search.similar_resolved(
        session, incident.organization_id, words, exclude=incident.id, limit=limit
    )
    if not matches:
        return []
    floor = matches[0].score * RELATIVE_FLOOR
    similar = []
    for match in matches:
        # One primary-key read each: SQLite plans `id IN (...)` of more than a couple of ids
        # (with the organization's filter) as a scan of the organization's incidents.
        found = await session.get(Incident, match.incident_id) if match.score >= floor else None
        if found is not None:
            similar.append(Similar(found, match.score))
    return similar


async def gather(session: AsyncSession, incident: Incident) -> Context:
    service = await session.get_one(Service, incident.service_id)
    alerts = list(
        await session.scalars(
            select(Alert)
            .where(Alert.incident_id == incident.id)
            .order_by(Alert.first_seen)
            .limit(ALERTS_READ)
        )
    )
    runbooks = list(
        await session.scalars(
            select(Runbook)
            .where(Runbook.service_id == incident.service_id)
            .options(selectinload(Runbook.steps))
            .order_by(Runbook.title)
        )
    )
    partial = Context(incident, service, alerts, runbooks, [], classify(""))
    text = partial.text
    error_types = [a.labels.get("error_type", "") for a in alerts]
    words = search.terms(text, *error_types)
    return Context(
        incident,
        service,
        alerts,
        runbooks,
        await similar(session, incident, words, SIMILAR_LIMIT),
        classify(text),
    )
