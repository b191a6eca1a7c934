"""Incident messages in the default channel, updated in place, and war rooms - posted by jobs
that the incident's events enqueue."""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select

from imas.config import Settings
from imas.db import Database, acting_in
from imas.incidents import service as incidents
from imas.incidents.models import Status, TimelineEntry, TimelineType
from imas.integrations.slack.blocks import ACK_ACTION, RESOLVE_ACTION
from imas.jobs.models import JobStatus
from tests.incidents.factories import make_incident, make_service
from tests.integrations.conftest import jobs_of, settle
from tests.integrations.slack.conftest import CHANNEL, SlackOrg, incident_row, message_row


def _actions(blocks: list[dict[str, object]]) -> list[object]:
    found: list[object] = []
    for block in blocks:
        if block.get("type") == "actions":
            found += [e["action_id"] for e in block["elements"]]  # type: ignore[index, union-attr]
    return found


class TestIncidentMessage:
    async def test_a_new_incident_is_posted_with_buttons_and_its_ts_stored(
        self, connected: SlackOrg, db: Database, settings: Settings
    ):
        incident = await make_incident(
            db, connected.admin.org, connected.admin.user, connected.service, title="Disk full"
        )
        jobs = await settle(db, settings, "slack.")
        assert [j.status for j in jobs] == [JobStatus.SUCCEEDED]
        [posted] = connected.slack.called("chat.postMessage")
        assert posted.args["channel"] == CHANNEL
        assert incident.short_id in posted.args["text"]
        assert _actions(posted.args["blocks"]) == [ACK_ACTION, RESOLVE_ACTION]
        message = await message_row(db, connected.admin.org.id, incident.id)
        assert message.channel == CHANNEL
        assert message.ts == "1702380000.000001"

    async def test_later_events_update_the_same_message_in_place(
        self, client: httpx.AsyncClient, connected: SlackOrg, db: Database, settings: Settings
    ):
        incident = await make_incident(
            db, connected.admin.org, connected.admin.user, connected.service
        )
        await settle(db, settings, "slack.")
        response = await client.post(
            f"/api/v1/incidents/{incident.id}/acknowledge/", headers=connected.admin.headers
        )
        assert response.status_code == 200, response.text
        await settle(db, settings, "slack.")
        [updated] = connected.slack.called("chat.update")
        assert updated.args["ts"] == "1702380000.000001"
        assert updated.args["channel"] == CHANNEL
        assert "ACKNOWLEDGED" in updated.args["text"]
        assert _actions(updated.args["blocks"]) == [RESOLVE_ACTION]
        assert len(connected.slack.called("chat.postMessage")) == 1

        await client.post(
            f"/api/v1/incidents/{incident.id}/resolve/", headers=connected.admin.headers
        )
        await settle(db, settings, "slack.")
        last = connected.slack.called("chat.update")[-1]
        assert "RESOLVED" in last.args["text"]
        assert _actions(last.args["blocks"]) == []

    async def test_an_update_job_run_twice_posts_once(
        self, connected: SlackOrg, db: Database, settings: Settings
    ):
        """Two message jobs of one incident (created, then acknowledged at once): one post."""
        incident = await make_incident(
            db, connected.admin.org, connected.admin.user, connected.service
        )
        async with db.transaction() as session:
            with acting_in(session, connected.admin.org.id):
                await incidents.acknowledge(session, incident.id, connected.admin.user)
        jobs = await settle(db, settings, "slack.")
        assert len(jobs) == 2
        assert len(connected.slack.called("chat.postMessage")) == 1
        posted_or_updated = connected.slack.calls[-1]
        assert "ACKNOWLEDGED" in posted_or_updated.args["text"]

    async def test_no_configuration_no_message(self, admin, db: Database, settings: Settings):
        service = await make_service(db, admin.org)
        await make_incident(db, admin.org, admin.user, service)
        assert await jobs_of(db, "slack.") == []

    async def test_a_revoked_token_kills_the_job_without_retries(
        self, connected: SlackOrg, db: Database, settings: Settings
    ):
        connected.slack.token = "xoxb-rotated"
        await make_incident(db, connected.admin.org, connected.admin.user, connected.service)
        [job] = await settle(db, settings, "slack.")
        assert job.status == JobStatus.DEAD
        assert job.attempts == 1
        assert "invalid_auth" in (job.last_error or "")


class TestWarRoom:
    async def test_a_sev1_gets_a_war_room_linked_on_the_incident(
        self, connected: SlackOrg, db: Database, settings: Settings
    ):
        incident = await make_incident(
            db,
            connected.admin.org,
            connected.admin.user,
            connected.service,
            severity="SEV1_CRITICAL",
        )
        await settle(db, settings, "slack.")
        [created] = connected.slack.called("conversations.create")
        assert created.args["name"] == incident.short_id.lower()
        channel_id = connected.slack.channels[incident.short_id.lower()]
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.war_room_link == f"https://slack.com/app_redirect?channel={channel_id}"
        async with db.read_sessions() as session:
            with acting_in(session, connected.admin.org.id):
                entries = (
                    await session.scalars(
                        select(TimelineEntry).where(
                            TimelineEntry.incident_id == incident.id,
                            TimelineEntry.type == TimelineType.FIELD_CHANGE,
                        )
                    )
                ).all()
        assert [e.message for e in entries] == [
            f"War room #{incident.short_id.lower()} opened in Slack"
        ]
        # the room got the incident, and the channel message now shows the room
        assert channel_id in [c.args["channel"] for c in connected.slack.called("chat.postMessage")]
        last = connected.slack.called("chat.update")[-1]
        assert "app_redirect" in json_text(last.args["blocks"])
        assert row.status == Status.TRIGGERED

    async def test_a_sev3_gets_none(self, connected: SlackOrg, db: Database, settings: Settings):
        incident = await make_incident(
            db, connected.admin.org, connected.admin.user, connected.service, severity="SEV3_MEDIUM"
        )
        await settle(db, settings, "slack.")
        assert connected.slack.called("conversations.create") == []
        assert (await incident_row(db, connected.admin.org.id, incident.id)).war_room_link is None

    async def test_the_severities_are_configurable(
        self, client: httpx.AsyncClient, connected: SlackOrg, db: Database, settings: Settings
    ):
        response = await client.put(
            "/api/v1/integrations/slack/",
            headers=connected.admin.headers,
            json={
                "default_channel": CHANNEL,
                "war_room_severities": ["SEV3_MEDIUM"],
                "api_base_url": connected.slack.api_url,
            },
        )
        assert response.status_code == 200, response.text
        await make_incident(
            db, connected.admin.org, connected.admin.user, connected.service, severity="SEV3_MEDIUM"
        )
        await make_incident(
            db,
            connected.admin.org,
            connected.admin.user,
            connected.service,
            severity="SEV1_CRITICAL",
        )
        await settle(db, settings, "slack.")
        assert len(connected.slack.called("conversations.create")) == 1

    async def test_a_retry_after_the_room_was_made_takes_the_existing_channel(
        self, connected: SlackOrg, db: Database, settings: Settings
    ):
        incident = await make_incident(
            db,
            connected.admin.org,
            connected.admin.user,
            connected.service,
            severity="SEV2_HIGH",
        )
        connected.slack.channels[incident.short_id.lower()] = "C0EXISTING"
        await settle(db, settings, "slack.")
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.war_room_link == "https://slack.com/app_redirect?channel=C0EXISTING"


def json_text(value: object) -> str:
    return json.dumps(value)


async def test_a_remediation_updates_the_message_with_its_outcome(
    connected: SlackOrg, db: Database, settings: Settings
):
    from imas.automation.models import Run, RunStatus
    from imas.automation.service import effects

    incident = await make_incident(db, connected.admin.org, connected.admin.user, connected.service)
    await settle(db, settings, "slack.")
    async with db.transaction() as session:
        with acting_in(session, connected.admin.org.id):
            run = Run(
                incident_id=incident.id,
                action="restart_service",
                status=RunStatus.RUNNING,
                attempt=1,
                max_retries=1,
            )
            session.add(run)
            await session.flush()
            await effects.succeeded(session, run, {"health_check_passed": True})

    await settle(db, settings, "slack.")

    [updated] = connected.slack.called("chat.update")
    fields = json.dumps(updated.args["blocks"])
    assert "*Remediation*" in fields
    assert "succeeded (1 attempt(s))" in fields
