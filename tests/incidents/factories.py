"""Incident-domain factories: rows made the way users make them."""

from __future__ import annotations

import itertools
from datetime import datetime

from imas.catalog.models import Service, Team
from imas.db import Database, acting_in
from imas.incidents import service as incidents
from imas.incidents.models import Incident
from imas.incidents.schemas import IncidentCreate
from imas.orgs.models import Organization, User

_seq = itertools.count(1)


async def make_service(
    db: Database,
    org: Organization,
    name: str | None = None,
    criticality: str = "TIER_2_HIGH",
    owner_team: Team | None = None,
    runbook_url: str | None = None,
) -> Service:
    async with db.transaction() as session, _in(session, org):
        service = Service(
            organization_id=org.id,
            name=name or f"service-{next(_seq)}",
            criticality=criticality,
            owner_team_id=owner_team.id if owner_team else None,
            runbook_url=runbook_url,
        )
        session.add(service)
    return service


async def make_team(db: Database, org: Organization, name: str | None = None) -> Team:
    async with db.transaction() as session, _in(session, org):
        team = Team(organization_id=org.id, name=name or f"team-{next(_seq)}")
        session.add(team)
    return team


async def make_incident(
    db: Database,
    org: Organization,
    actor: User,
    service: Service,
    *,
    title: str | None = None,
    severity: str = "SEV3_MEDIUM",
    detected_at: datetime | None = None,
    **fields: object,
) -> Incident:
    async with db.transaction() as session, _in(session, org):
        data = IncidentCreate(
            title=title or f"Incident {next(_seq)}",
            service=service.id,
            severity=severity,
            detected_at=detected_at,
            **fields,
        )
        return await incidents.create_incident(session, actor, data)


class _in:
    """`async with` form of acting_in for the factories above."""

    def __init__(self, session: object, org: Organization) -> None:
        self._cm = acting_in(session, org.id)  # type: ignore[arg-type]

    async def __aenter__(self) -> None:
        self._cm.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)
