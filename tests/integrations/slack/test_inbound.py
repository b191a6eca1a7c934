"""What Slack sends: signed slash commands, button clicks, modal submissions and events."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import httpx
import pytest

from imas.db import Database
from imas.incidents.models import Status
from imas.integrations.slack.blocks import ACK_ACTION, CREATE_CALLBACK, RESOLVE_ACTION
from tests.helpers import assert_error
from tests.incidents.factories import make_incident
from tests.integrations.slack.conftest import (
    CHANNEL,
    SLACK_USER,
    SlackOrg,
    button,
    command,
    incident_row,
    interact,
    post_form,
    responder,
    sign,
)


@pytest.fixture
async def incident(db: Database, connected: SlackOrg):
    return await make_incident(
        db, connected.admin.org, connected.admin.user, connected.service, title="Checkout 500s"
    )


def _ack_form(short_id: str) -> dict[str, str]:
    return {"team_id": "T0IMAS001", "user_id": SLACK_USER, "text": f"incident ack {short_id}"}


class TestSignature:
    """A request not signed with the workspace's secret, or older than five minutes, is refused
    with 401 in IMAS's error shape, and changes nothing."""

    async def test_a_wrong_signature_is_refused_and_changes_nothing(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        body = urlencode(_ack_form(incident.short_id)).encode()
        headers = sign(body, secret="not-the-signing-secret")
        response = await post_form(
            client, "/api/v1/slack/commands/", _ack_form(incident.short_id), headers=headers
        )
        assert_error(response, 401, "invalid_signature")
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.TRIGGERED
        assert connected.slack.called("users.info") == []

    async def test_a_stale_request_is_refused_and_changes_nothing(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        stale = int(time.time()) - 5 * 60 - 30
        response = await post_form(
            client, "/api/v1/slack/commands/", _ack_form(incident.short_id), timestamp=stale
        )
        assert_error(response, 401, "invalid_signature")
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.TRIGGERED

    async def test_a_body_changed_after_signing_is_refused(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        signed_for = urlencode(_ack_form("INC-AAAAAA")).encode()
        response = await post_form(
            client,
            "/api/v1/slack/commands/",
            _ack_form(incident.short_id),
            headers=sign(signed_for),
        )
        assert_error(response, 401, "invalid_signature")
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.TRIGGERED

    async def test_missing_headers_and_unknown_workspaces_are_refused(
        self, client: httpx.AsyncClient, connected: SlackOrg
    ):
        form = {"team_id": "T0IMAS001", "user_id": SLACK_USER, "text": "incident list"}
        response = await post_form(client, "/api/v1/slack/commands/", form, headers={})
        assert_error(response, 401, "invalid_signature")
        response = await command(client, "incident list", team_id="T0SOMEONE")
        assert_error(response, 401, "invalid_signature")

    async def test_a_signed_button_click_with_a_wrong_signature_acknowledges_nothing(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        payload = {"payload": json.dumps(button(ACK_ACTION, incident.id))}
        body = urlencode(payload).encode()
        response = await post_form(
            client,
            "/api/v1/slack/interactive/",
            payload,
            headers=sign(body, secret="wrong"),
        )
        assert_error(response, 401)
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.TRIGGERED

    async def test_an_event_with_a_wrong_signature_gets_no_challenge_back(
        self, client: httpx.AsyncClient, connected: SlackOrg
    ):
        body = json.dumps({"type": "url_verification", "challenge": "abc", "token": "x"}).encode()
        response = await client.post(
            "/api/v1/slack/events/",
            content=body,
            headers={"Content-Type": "application/json", **sign(body, secret="wrong")},
        )
        assert_error(response, 401)
        assert "abc" not in response.text


class TestCommands:
    async def test_list_shows_open_incidents_to_the_user_only(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident
    ):
        response = await command(client, "incident list")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["response_type"] == "ephemeral"
        assert incident.short_id in body["text"]
        assert [c.args["user"] for c in connected.slack.called("users.info")] == [SLACK_USER]

    async def test_ack_acknowledges_as_the_imas_user_with_the_same_email(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        response = await command(client, f"incident ack {incident.short_id.lower()}")
        assert response.status_code == 200, response.text
        assert "ACKNOWLEDGED" in response.json()["text"]
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.ACKNOWLEDGED
        assert row.acknowledged_by_id == connected.admin.user.id

    async def test_resolve_resolves(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        response = await command(client, f"incident resolve {incident.id}")
        assert response.status_code == 200
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.RESOLVED
        assert row.resolved_by_id == connected.admin.user.id

    async def test_an_impossible_transition_is_explained(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident
    ):
        await command(client, f"incident resolve {incident.short_id}")
        response = await command(client, f"incident ack {incident.short_id}")
        assert response.status_code == 200
        assert "RESOLVED" in response.json()["text"]

    async def test_an_unknown_slack_user_gets_an_ephemeral_error(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        connected.slack.add_user("U0STRANGER", "stranger@elsewhere.example")
        response = await command(client, f"incident ack {incident.short_id}", user_id="U0STRANGER")
        assert response.status_code == 200
        body = response.json()
        assert body["response_type"] == "ephemeral"
        assert "not the e-mail of a member" in body["text"]
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.TRIGGERED

    async def test_a_viewer_cannot_acknowledge(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        await responder(db, connected.admin.org, connected.slack, "U0VIEWER", "viewer")
        response = await command(client, f"incident ack {incident.short_id}", user_id="U0VIEWER")
        assert "cannot change incidents" in response.json()["text"]
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.TRIGGERED

    async def test_create_opens_the_modal(self, client: httpx.AsyncClient, connected: SlackOrg):
        response = await command(client, "incident create")
        assert response.status_code == 200
        [opened] = connected.slack.called("views.open")
        assert opened.args["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
        view = opened.args["view"]
        assert view["callback_id"] == CREATE_CALLBACK
        services = view["blocks"][1]["element"]["options"]
        assert services == [
            {
                "text": {"type": "plain_text", "text": "checkout-api"},
                "value": str(connected.service.id),
            }
        ]

    async def test_anything_else_gets_the_usage(
        self, client: httpx.AsyncClient, connected: SlackOrg
    ):
        response = await command(client, "incident dance")
        assert "Usage" in response.json()["text"]


class TestInteractive:
    async def test_the_acknowledge_button_acknowledges(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        response = await interact(client, button(ACK_ACTION, incident.id))
        assert response.status_code == 200, response.text
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.ACKNOWLEDGED
        [told] = connected.slack.called("chat.postEphemeral")
        assert told.args["user"] == SLACK_USER
        assert told.args["channel"] == CHANNEL

    async def test_the_resolve_button_resolves(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        await interact(client, button(RESOLVE_ACTION, incident.id))
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.RESOLVED

    async def test_an_unknown_user_clicking_gets_an_ephemeral_error(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident, db: Database
    ):
        response = await interact(client, button(ACK_ACTION, incident.id, user_id="U0NOBODY"))
        assert response.status_code == 200
        row = await incident_row(db, connected.admin.org.id, incident.id)
        assert row.status == Status.TRIGGERED
        [told] = connected.slack.called("chat.postEphemeral")
        assert told.args["user"] == "U0NOBODY"
        assert "could not look up" in told.args["text"]

    def _submission(self, connected: SlackOrg, title: str) -> dict[str, object]:
        return {
            "type": "view_submission",
            "team": {"id": "T0IMAS001", "domain": "imas"},
            "user": {"id": SLACK_USER, "username": "alice"},
            "view": {
                "id": "V0001",
                "callback_id": CREATE_CALLBACK,
                "private_metadata": CHANNEL,
                "state": {
                    "values": {
                        "title": {"value": {"type": "plain_text_input", "value": title}},
                        "service": {
                            "value": {
                                "type": "static_select",
                                "selected_option": {"value": str(connected.service.id)},
                            }
                        },
                        "severity": {
                            "value": {
                                "type": "static_select",
                                "selected_option": {"value": "SEV2_HIGH"},
                            }
                        },
                        "description": {
                            "value": {"type": "plain_text_input", "value": "from Slack"}
                        },
                    }
                },
            },
        }

    async def test_submitting_the_modal_creates_the_incident(
        self, client: httpx.AsyncClient, connected: SlackOrg
    ):
        response = await interact(client, self._submission(connected, "Payments down"))
        assert response.status_code == 200, response.text
        listed = await client.get(
            "/api/v1/incidents/?search=Payments", headers=connected.admin.headers
        )
        [created] = listed.json()["results"]
        assert created["severity"] == "SEV2_HIGH"
        assert created["status"] == "TRIGGERED"

    async def test_an_invalid_submission_keeps_the_modal_open_with_errors(
        self, client: httpx.AsyncClient, connected: SlackOrg
    ):
        response = await interact(client, self._submission(connected, ""))
        assert response.status_code == 200
        body = response.json()
        assert body["response_action"] == "errors"
        assert "title" in body["errors"]


class TestEvents:
    async def _post(self, client: httpx.AsyncClient, payload: dict[str, object]) -> httpx.Response:
        body = json.dumps(payload).encode()
        return await client.post(
            "/api/v1/slack/events/",
            content=body,
            headers={"Content-Type": "application/json", **sign(body)},
        )

    async def test_url_verification_returns_the_challenge(
        self, client: httpx.AsyncClient, connected: SlackOrg
    ):
        response = await self._post(
            client,
            {
                "token": "x",
                "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                "type": "url_verification",
            },
        )
        assert response.status_code == 200
        assert response.json() == {
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
        }

    async def test_a_mention_is_answered_in_its_thread(
        self, client: httpx.AsyncClient, connected: SlackOrg, incident
    ):
        mention = {
            "type": "event_callback",
            "team_id": "T0IMAS001",
            "api_app_id": "A0IMAS",
            "event_id": "Ev0001",
            "event": {
                "type": "app_mention",
                "user": SLACK_USER,
                "text": f"<@UBOT> status of {incident.short_id}?",
                "ts": "1702380100.000200",
                "channel": CHANNEL,
            },
        }
        response = await self._post(client, mention)
        assert response.status_code == 200
        [reply] = connected.slack.called("chat.postMessage")
        assert reply.args["channel"] == CHANNEL
        assert reply.args["thread_ts"] == "1702380100.000200"
        assert incident.short_id in reply.args["text"]
        assert "TRIGGERED" in reply.args["text"]

    async def test_a_retried_event_is_not_answered_twice(
        self, client: httpx.AsyncClient, connected: SlackOrg
    ):
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T0IMAS001",
                "event": {"type": "app_mention", "text": "hi", "ts": "1.2", "channel": CHANNEL},
            }
        ).encode()
        response = await client.post(
            "/api/v1/slack/events/",
            content=body,
            headers={"Content-Type": "application/json", "X-Slack-Retry-Num": "1", **sign(body)},
        )
        assert response.status_code == 200
        assert connected.slack.called("chat.postMessage") == []
