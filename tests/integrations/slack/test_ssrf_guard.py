"""The SSRF guard of outbound webhooks covers Slack's API base URL: with IMAS's default
(IMAS_WEBHOOK_ALLOW_PRIVATE off) an organization cannot point it at a loopback, private or
link-local address, when saving it or, if DNS changed since, when IMAS calls Slack."""

from __future__ import annotations

import httpx
import pytest

from imas.config import Settings
from imas.db import Database
from tests.factories import Actor
from tests.helpers import assert_error
from tests.incidents.factories import make_incident
from tests.integrations.conftest import settle
from tests.integrations.slack.conftest import CHANNEL, SIGNING_SECRET, SlackOrg
from tests.integrations.slack.fake_slack import FakeSlack

URL = "/api/v1/integrations/slack/"


@pytest.mark.parametrize(
    "address", ["http://127.0.0.1:9/api/", "http://localhost/api/", "http://169.254.169.254/"]
)
async def test_saving_a_private_address_is_refused_and_nothing_stored(
    strict_client: httpx.AsyncClient, admin: Actor, slack: FakeSlack, address: str
):
    body = {
        "bot_token": slack.token,
        "signing_secret": SIGNING_SECRET,
        "default_channel": CHANNEL,
        "api_base_url": address,
    }
    error = assert_error(await strict_client.put(URL, headers=admin.headers, json=body), 400)
    assert "IMAS_WEBHOOK_ALLOW_PRIVATE" in error["details"]["api_base_url"][0]
    assert slack.calls == []  # not even auth.test went out
    assert (await strict_client.get(URL, headers=admin.headers)).status_code == 404


async def test_a_stored_url_now_refused_gets_no_request(
    connected: SlackOrg, db: Database, strict_settings: Settings
):
    connected.slack.calls.clear()
    await make_incident(
        db, connected.admin.org, connected.admin.user, connected.service, severity="SEV3_MEDIUM"
    )
    jobs = await settle(db, strict_settings, "slack.")
    assert jobs
    assert all("forbidden_destination" in (job.last_error or "") for job in jobs)
    assert connected.slack.calls == []
