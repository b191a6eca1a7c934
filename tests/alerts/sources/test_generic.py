"""IMAS's generic webhook (seed: "Webhook Générique")."""

from __future__ import annotations

import pytest

from imas.alerts.exceptions import InvalidPayload
from imas.alerts.sources import registry
from tests.alerts.factories import make_integration
from tests.alerts.helpers import alert_detail, incident, incidents, post
from tests.alerts.payloads import SEED_GENERIC
from tests.incidents.factories import make_service


def parse(payload, **overrides):
    return registry.configured("generic", {}, overrides).parse(payload)


@pytest.fixture
async def my_service(db, admin):
    return await make_service(db, admin.org, "my-service")


@pytest.fixture
async def generic(db, admin):
    return await make_integration(db, admin.org, "generic", name="scripts")


class TestParse:
    def test_the_seeds_payload(self):
        [alert] = parse(SEED_GENERIC)
        assert alert.title == "Custom Alert"
        assert alert.description == "Something happened"
        assert alert.severity == "SEV2_HIGH"
        assert alert.service_name == "my-service"
        assert alert.labels == {
            "environment": "production",
            "source": "custom-monitor",
            "service": "my-service",
            "alertname": "Custom Alert",
        }
        assert alert.status == "firing"
        assert len(alert.fingerprint) == 32
        assert alert.raw == SEED_GENERIC

    @pytest.mark.parametrize(
        ("severity", "expected"),
        [
            ("critical", "SEV1_CRITICAL"),
            ("high", "SEV2_HIGH"),
            ("medium", "SEV3_MEDIUM"),
            ("low", "SEV4_LOW"),
            ("SEV1_CRITICAL", "SEV1_CRITICAL"),
            (None, "SEV3_MEDIUM"),
        ],
    )
    def test_severity_follows_the_seeds_table(self, severity, expected):
        [alert] = parse({**SEED_GENERIC, "severity": severity})
        assert alert.severity == expected

    def test_a_given_fingerprint_wins(self):
        [alert] = parse({**SEED_GENERIC, "fingerprint": "backup-job-42"})
        assert alert.fingerprint == "backup-job-42"

    def test_labels_of_any_scalar_become_text(self):
        [alert] = parse({**SEED_GENERIC, "labels": {"retries": 3, "ok": False, "x": None}})
        assert alert.labels["retries"] == "3"
        assert alert.labels["ok"] == "false"
        assert "x" not in alert.labels

    @pytest.mark.parametrize(
        "payload",
        [
            {},
            {"title": ""},
            {"title": "x", "status": "exploded"},
            {"title": "x", "labels": {"nested": {"a": 1}}},
            [SEED_GENERIC, {"description": "no title"}],
            [],
        ],
    )
    def test_anything_else_is_an_invalid_payload(self, payload):
        with pytest.raises(InvalidPayload):
            parse(payload)


class TestReceiver:
    async def test_the_seeds_payload_opens_an_incident(self, client, admin, generic, my_service):
        [received] = (await post(client, generic, SEED_GENERIC)).json()["alerts"]
        opened = await incident(client, admin, received["incident"])
        assert opened["title"] == "Custom Alert"
        assert opened["severity"] == "SEV2_HIGH"
        assert opened["service"]["name"] == "my-service"

    async def test_several_alerts_in_one_post(self, client, admin, generic, my_service):
        payload = [
            SEED_GENERIC,
            {**SEED_GENERIC, "title": "Disk full", "severity": "critical"},
            {**SEED_GENERIC, "fingerprint": "x", "status": "resolved"},
        ]
        body = (await post(client, generic, payload)).json()
        assert body["received"] == 3
        assert [a["status"] for a in body["alerts"]] == ["firing", "firing", "ignored"]
        assert body["alerts"][2]["id"] is None
        assert {i["title"] for i in await incidents(client, admin)} == {"Custom Alert", "Disk full"}

    async def test_a_resolution_names_the_alert_by_its_fields(
        self, client, admin, generic, my_service
    ):
        [fired] = (await post(client, generic, SEED_GENERIC)).json()["alerts"]
        [done] = (await post(client, generic, {**SEED_GENERIC, "status": "resolved"})).json()[
            "alerts"
        ]
        assert done["id"] == fired["id"]
        assert (await alert_detail(client, admin, fired["id"]))["status"] == "resolved"
        assert (await incident(client, admin, fired["incident"]))["status"] == "MITIGATED"

    async def test_the_token_may_come_in_the_query_string(self, client, admin, generic, my_service):
        response = await client.post(f"{generic.url}?token={generic.key}", json=SEED_GENERIC)
        assert response.status_code == 200, response.text


async def test_unknown_service_without_default_opens_nothing(client, admin, db):
    hook = await make_integration(db, admin.org, "generic")
    [received] = (await post(client, hook, SEED_GENERIC)).json()["alerts"]
    assert received["incident"] is None
    detail = await alert_detail(client, admin, received["id"])
    assert "('my-service')" in detail["intake_note"]
