"""RCA factories: a history of resolved incidents, and incidents opened as users open them."""

from __future__ import annotations

import itertools
from datetime import timedelta

from imas.catalog.models import Service
from imas.db import Database, utcnow
from imas.incidents.models import Incident
from imas.orgs.models import Organization
from tests.incidents.factories import _in

_seq = itertools.count(1)


async def resolved(
    db: Database,
    org: Organization,
    service: Service,
    title: str,
    cause: str | None,
    note: str | None,
    mttr_seconds: int,
) -> Incident:
    """Resolved `mttr_seconds` after it was opened, three days ago."""
    created = utcnow() - timedelta(days=3)
    async with db.transaction() as session, _in(session, org):
        incident = Incident(
            organization_id=org.id,
            short_id=f"INC-RC{next(_seq):04d}",
            title=title,
            description="",
            severity="SEV2_HIGH",
            status="RESOLVED",
            service_id=service.id,
            detected_at=created,
            created_at=created,
            updated_at=created,
            resolved_at=created + timedelta(seconds=mttr_seconds),
            root_cause=cause,
            resolution_note=note,
        )
        session.add(incident)
    return incident


async def open_incident(client, actor, service, title, description="", severity="SEV2_HIGH"):
    response = await client.post(
        "/api/v1/incidents/",
        headers=actor.headers,
        json={
            "title": title,
            "description": description,
            "service": str(service.id),
            "severity": severity,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["short_id"]
