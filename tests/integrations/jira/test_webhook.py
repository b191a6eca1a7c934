"""JIRA -> IMAS: `POST /api/v1/webhooks/jira/?secret=...` moves the incident of the issue as seed
004's status table says, and never echoes back what IMAS itself did."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from imas.config import Settings
from imas.db import Database, acting_in
from imas.incidents import service as incidents
from imas.incidents.models import Incident, Status, TimelineEntry
from imas.integrations.jira.models import JiraIssue
from tests.helpers import assert_error
from tests.incidents.factories import make_incident
from tests.integrations.conftest import jobs_of, settle
from tests.integrations.jira.conftest import JiraOrg, config_body, incident_row, ticketed
from tests.integrations.jira.fake_jira import EMAIL, webhook

KEY = "APAIOPS-77"


async def linked(org: JiraOrg, db: Database, start: Status) -> Incident:
    """A SEV3 incident (no issue of its own) brought to `start`, then linked to issue KEY."""
    incident = await make_incident(
        db, org.admin.org, org.admin.user, org.service, severity="SEV3_MEDIUM"
    )
    user = org.admin.user
    async with db.transaction() as session:
        with acting_in(session, org.admin.org.id):
            if start == Status.ACKNOWLEDGED:
                await incidents.acknowledge(session, incident.id, user)
            elif start == Status.MITIGATED:
                await incidents.mitigate(session, incident.id, user)
            elif start == Status.RESOLVED:
                await incidents.resolve(session, incident.id, user)
            session.add(JiraIssue(incident_id=incident.id, issue_key=KEY))
            row = await session.get(Incident, incident.id)
            assert row is not None
            row.itsm_ticket_id = KEY
    return await incident_row(db, org.admin.org.id, incident.id)


class TestSecret:
    async def test_a_wrong_secret_is_refused_and_changes_nothing(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database
    ):
        incident = await linked(connected, db, Status.TRIGGERED)
        response = await client.post(
            "/api/v1/webhooks/jira/?secret=guessed-secret", json=webhook(KEY, "Done")
        )
        assert_error(response, 401, "invalid_webhook_secret")
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == "TRIGGERED"

    async def test_a_missing_secret_is_refused(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database
    ):
        incident = await linked(connected, db, Status.TRIGGERED)
        response = await client.post("/api/v1/webhooks/jira/", json=webhook(KEY, "Done"))
        assert_error(response, 401)
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == "TRIGGERED"

    async def test_another_organizations_secret_reaches_only_its_own_issues(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database, outsider
    ):
        incident = await linked(connected, db, Status.TRIGGERED)
        other = await client.put(
            "/api/v1/integrations/jira/",
            headers=outsider.headers,
            json=config_body(connected.jira),
        )
        secret = other.json()["webhook_secret"]
        response = await client.post(
            f"/api/v1/webhooks/jira/?secret={secret}", json=webhook(KEY, "Done")
        )
        assert response.json()["status"] == "ignored"
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == "TRIGGERED"


# Seed 004's table, row by row: (JIRA status, the incident before, the incident after).
TABLE = [
    ("Done", Status.TRIGGERED, Status.RESOLVED),
    ("Done", Status.ACKNOWLEDGED, Status.RESOLVED),
    ("Closed", Status.MITIGATED, Status.RESOLVED),
    ("In Progress", Status.TRIGGERED, Status.ACKNOWLEDGED),
    ("In Progress", Status.RESOLVED, Status.ACKNOWLEDGED),
    ("To Do", Status.RESOLVED, Status.TRIGGERED),
    ("Open", Status.RESOLVED, Status.TRIGGERED),
    ("Reopened", Status.RESOLVED, Status.ACKNOWLEDGED),
    ("Reopened", Status.TRIGGERED, Status.ACKNOWLEDGED),
]
# ... and where IMAS does not move: already there, or backwards short of a reopen.
UNCHANGED = [
    ("Done", Status.RESOLVED),
    ("Closed", Status.RESOLVED),
    ("In Progress", Status.ACKNOWLEDGED),
    ("In Progress", Status.MITIGATED),
    ("To Do", Status.TRIGGERED),
    ("To Do", Status.ACKNOWLEDGED),
    ("Open", Status.MITIGATED),
    ("Reopened", Status.ACKNOWLEDGED),
]


class TestStatusMapping:
    @pytest.mark.parametrize(("jira_status", "before", "after"), TABLE)
    async def test_each_row_of_the_table(
        self,
        client: httpx.AsyncClient,
        connected: JiraOrg,
        db: Database,
        jira_status: str,
        before: Status,
        after: Status,
    ):
        incident = await linked(connected, db, before)
        response = await client.post(connected.webhook_url, json=webhook(KEY, jira_status))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "success"
        assert body["ticket_id"] == incident.short_id
        assert body["jira_ticket_id"] == KEY
        assert body["new_status"] == after
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == after

    @pytest.mark.parametrize(("jira_status", "before"), UNCHANGED)
    async def test_no_move_where_the_incident_is_there_or_past_it(
        self,
        client: httpx.AsyncClient,
        connected: JiraOrg,
        db: Database,
        jira_status: str,
        before: Status,
    ):
        incident = await linked(connected, db, before)
        response = await client.post(connected.webhook_url, json=webhook(KEY, jira_status))
        assert response.json()["status"] == "ignored"
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == before

    async def test_an_unknown_status_falls_back_on_its_category(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database
    ):
        incident = await linked(connected, db, Status.TRIGGERED)
        payload = webhook(KEY, "Won't Fix")
        payload["issue"]["fields"]["status"]["statusCategory"] = {"key": "done"}
        response = await client.post(connected.webhook_url, json=payload)
        assert response.json()["new_status"] == "RESOLVED"
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == "RESOLVED"

    async def test_the_jira_user_acts_when_they_are_a_member(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database
    ):
        incident = await linked(connected, db, Status.TRIGGERED)
        email = connected.admin.user.email or ""
        await client.post(connected.webhook_url, json=webhook(KEY, "In Progress", email=email))
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.acknowledged_by_id == connected.admin.user.id

    async def test_otherwise_jira_acts_under_its_name(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database
    ):
        incident = await linked(connected, db, Status.TRIGGERED)
        await client.post(connected.webhook_url, json=webhook(KEY, "In Progress"))
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.ACKNOWLEDGED
        assert row.acknowledged_by_id is None
        async with db.read_sessions() as session:
            with acting_in(session, connected.admin.org.id):
                messages = (
                    await session.scalars(
                        select(TimelineEntry.message).where(
                            TimelineEntry.incident_id == incident.id
                        )
                    )
                ).all()
        assert "Acknowledged by JIRA (John Doe): JIRA APAIOPS-77 moved to In Progress" in messages

    async def test_an_issue_of_no_incident_is_ignored(
        self, client: httpx.AsyncClient, connected: JiraOrg
    ):
        response = await client.post(connected.webhook_url, json=webhook("APAIOPS-404", "Done"))
        assert response.status_code == 200
        assert response.json()["status"] == "ignored"

    async def test_an_update_that_changes_no_status_moves_nothing(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database
    ):
        """Someone edits the summary while the issue is still In Progress: the resolved
        incident stays resolved."""
        incident = await linked(connected, db, Status.RESOLVED)
        edit = webhook(KEY, "In Progress")
        edit["changelog"]["items"] = [{"field": "summary", "fromString": "a", "toString": "b"}]
        response = await client.post(connected.webhook_url, json=edit)
        assert response.json()["status"] == "ignored"
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == "RESOLVED"

    async def test_other_events_and_odd_shapes_are_ignored_not_errors(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database
    ):
        incident = await linked(connected, db, Status.TRIGGERED)
        comment = webhook(KEY, "Done") | {"webhookEvent": "comment_created"}
        odd = {"webhookEvent": "jira:issue_updated", "issue": "APAIOPS-77", "changelog": []}
        for payload in (comment, odd, {}):
            response = await client.post(connected.webhook_url, json=payload)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "ignored"
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == "TRIGGERED"

    async def test_a_body_that_is_not_json_is_400(
        self, client: httpx.AsyncClient, connected: JiraOrg
    ):
        response = await client.post(connected.webhook_url, content=b"{not json")
        assert_error(response, 400)


class TestNoEchoLoop:
    async def test_a_change_from_jira_is_not_pushed_back(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database, settings: Settings
    ):
        incident, key = await ticketed(connected, db, settings)
        connected.jira.set_status(key, "Done")  # a person closes the issue in JIRA
        response = await client.post(connected.webhook_url, json=webhook(key, "Done"))
        assert response.json()["status"] == "success"
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == "RESOLVED"
        assert [j.kind for j in await jobs_of(db, "jira.")] == ["jira.create_issue"]
        await settle(db, settings, "jira.")
        assert connected.jira.issues[key].transitions == []
        assert connected.jira.issues[key].comments == []

    async def test_the_echo_of_an_imas_change_is_ignored(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database, settings: Settings
    ):
        incident, key = await ticketed(connected, db, settings)
        await client.post(
            f"/api/v1/incidents/{incident.id}/acknowledge/", headers=connected.admin.headers
        )
        await settle(db, settings, "jira.")
        assert connected.jira.issues[key].status == "In Progress"
        jobs_before = len(await jobs_of(db, "jira."))
        # JIRA tells of the change IMAS made, with IMAS's own account as its author
        echo = webhook(key, "In Progress", email=EMAIL)
        response = await client.post(connected.webhook_url, json=echo)
        assert response.json()["status"] == "ignored"
        assert "IMAS itself" in response.json()["reason"]
        assert len(await jobs_of(db, "jira.")) == jobs_before
        assert (
            await incident_row(db, connected.admin.org.id, incident.id)
        ).status == "ACKNOWLEDGED"

    async def test_a_late_echo_does_not_undo_a_later_change(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database, settings: Settings
    ):
        """Acknowledged then resolved in IMAS; the echo of the acknowledgement ("In Progress")
        arrives after the resolution: the incident stays resolved (no reopen)."""
        incident, key = await ticketed(connected, db, settings)
        headers = connected.admin.headers
        await client.post(f"/api/v1/incidents/{incident.id}/acknowledge/", headers=headers)
        await settle(db, settings, "jira.")
        await client.post(f"/api/v1/incidents/{incident.id}/resolve/", headers=headers)
        await settle(db, settings, "jira.")
        response = await client.post(
            connected.webhook_url, json=webhook(key, "In Progress", email=EMAIL)
        )
        assert response.json()["status"] == "ignored"
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == "RESOLVED"

    async def test_an_echo_without_an_author_email_is_known_by_its_status(
        self, client: httpx.AsyncClient, connected: JiraOrg, db: Database, settings: Settings
    ):
        """JIRA Cloud may hide e-mails: IMAS reopened the incident and pushed "To Do"; the echo,
        with no author e-mail, is known as IMAS's own by being the status IMAS pushed."""
        incident, key = await ticketed(connected, db, settings)
        headers = connected.admin.headers
        await client.post(f"/api/v1/incidents/{incident.id}/resolve/", headers=headers)
        await settle(db, settings, "jira.")
        await client.post(f"/api/v1/incidents/{incident.id}/reopen/", headers=headers)
        await settle(db, settings, "jira.")
        assert connected.jira.issues[key].transitions == ["Done", "To Do"]
        echo = webhook(key, "To Do", email="")
        echo["user"].pop("emailAddress")
        response = await client.post(connected.webhook_url, json=echo)
        assert response.json()["status"] == "ignored"
        assert "IMAS itself" in response.json()["reason"]
        assert (await incident_row(db, connected.admin.org.id, incident.id)).status == "TRIGGERED"
