"""JIRA tests: a fake JIRA, an organization connected to it, and issues linked to incidents."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from imas.catalog.models import Service
from imas.config import Settings
from imas.db import Database, acting_in
from imas.incidents.models import Incident
from imas.integrations.jira.models import JiraIssue
from tests.factories import Actor
from tests.incidents.factories import make_incident, make_service
from tests.integrations.conftest import settle
from tests.integrations.jira.fake_jira import API_TOKEN, EMAIL, PROJECT, FakeJira


@pytest.fixture
async def jira() -> AsyncIterator[FakeJira]:
    server = FakeJira()
    await server.start()
    yield server
    await server.stop()


@dataclass
class JiraOrg:
    admin: Actor
    service: Service
    jira: FakeJira
    secret: str
    config: dict[str, Any]

    @property
    def webhook_url(self) -> str:
        return f"/api/v1/webhooks/jira/?secret={self.secret}"


def config_body(jira: FakeJira, **overrides: Any) -> dict[str, Any]:
    return {
        "server_url": jira.base_url,
        "user_email": EMAIL,
        "api_token": API_TOKEN,
        "project_key": PROJECT,
        "issue_type": "Bug",
    } | overrides


@pytest.fixture
async def connected(
    client: httpx.AsyncClient, admin: Actor, db: Database, jira: FakeJira
) -> JiraOrg:
    response = await client.put(
        "/api/v1/integrations/jira/", headers=admin.headers, json=config_body(jira)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    service = await make_service(db, admin.org, "adf-pipelines")
    return JiraOrg(admin, service, jira, body["webhook_secret"], body)


async def ticketed(
    org: JiraOrg, db: Database, settings: Settings, severity: str = "SEV1_CRITICAL"
) -> tuple[Incident, str]:
    """An incident and the JIRA issue IMAS opened for it (its jobs run)."""
    incident = await make_incident(
        db, org.admin.org, org.admin.user, org.service, severity=severity
    )
    await settle(db, settings, "jira.")
    row = await incident_row(db, org.admin.org.id, incident.id)
    assert row.itsm_ticket_id is not None
    return row, row.itsm_ticket_id


async def incident_row(db: Database, org_id: uuid.UUID, incident_id: uuid.UUID) -> Incident:
    async with db.read_sessions() as session:
        with acting_in(session, org_id):
            found = await session.scalar(select(Incident).where(Incident.id == incident_id))
    assert found is not None
    return found


async def issue_row(db: Database, org_id: uuid.UUID, incident_id: uuid.UUID) -> JiraIssue | None:
    async with db.read_sessions() as session:
        with acting_in(session, org_id):
            return await session.scalar(
                select(JiraIssue).where(JiraIssue.incident_id == incident_id)
            )
