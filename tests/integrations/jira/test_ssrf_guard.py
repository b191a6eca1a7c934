"""The SSRF guard of outbound webhooks covers the JIRA server: with IMAS's default
(IMAS_WEBHOOK_ALLOW_PRIVATE off) an organization cannot point it at a loopback, private or
link-local address, when saving it or, if DNS changed since, when IMAS calls JIRA."""

from __future__ import annotations

import httpx

from imas.config import Settings
from imas.db import Database
from imas.jobs.models import JobStatus
from tests.factories import Actor
from tests.helpers import assert_error
from tests.incidents.factories import make_incident
from tests.integrations.conftest import settle
from tests.integrations.jira.conftest import JiraOrg, config_body
from tests.integrations.jira.fake_jira import FakeJira

URL = "/api/v1/integrations/jira/"


async def test_saving_a_private_address_is_refused_and_nothing_stored(
    strict_client: httpx.AsyncClient, admin: Actor, jira: FakeJira
):
    answer = await strict_client.put(URL, headers=admin.headers, json=config_body(jira))
    error = assert_error(answer, 400)
    assert "loopback, private or link-local" in error["details"]["server_url"][0]
    assert jira.requests == []
    assert (await strict_client.get(URL, headers=admin.headers)).status_code == 404


async def test_a_stored_server_now_refused_gets_no_request(
    connected: JiraOrg, db: Database, strict_settings: Settings
):
    connected.jira.requests.clear()
    await make_incident(
        db, connected.admin.org, connected.admin.user, connected.service, severity="SEV1_CRITICAL"
    )
    [job] = await settle(db, strict_settings, "jira.")
    assert job.status == JobStatus.DEAD  # a refusal is not retried
    assert "loopback, private or link-local" in (job.last_error or "")
    assert connected.jira.requests == []
    assert connected.jira.issues == {}
