"""Grafana Alerting's webhook contact point."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from imas.alerts.exceptions import InvalidPayload
from imas.alerts.sources import registry
from imas.catalog.models import Service
from tests.alerts.factories import make_integration
from tests.alerts.helpers import alert_detail, alerts, incident, incidents, post
from tests.alerts.payloads import GRAFANA, SEED_GRAFANA, resolved
from tests.incidents.factories import make_service


def parse(payload, **overrides):
    return registry.configured("grafana", {}, overrides).parse(payload)


@pytest.fixture
async def database(db, admin) -> Service:
    return await make_service(db, admin.org, "database")


@pytest.fixture
async def grafana(db, admin):
    return await make_integration(db, admin.org, "grafana", name="grafana")


class TestParse:
    def test_the_documented_payload(self):
        memory, cpu = parse(GRAFANA)
        assert memory.fingerprint == "c6eadffa33fcdf37"
        assert cpu.fingerprint == "bc97ff14869b13e3"
        assert memory.title == "This alert was triggered for zone us-1"
        assert memory.description == "The system has high memory usage"
        assert memory.labels == {"alertname": "High memory usage", "team": "blue", "zone": "us-1"}
        assert memory.starts_at == datetime(2021, 10, 12, 7, 51, 3, 157076, tzinfo=UTC)
        assert memory.ends_at is None
        assert memory.severity == "SEV3_MEDIUM"  # no severity label
        assert memory.service_name is None
        assert memory.links == [
            "https://play.grafana.org/alerting/1afz29v7z/edit",
            "https://myrunbook.com/runbook/1234",
            "https://play.grafana.org/alerting/silence/new?alertmanager=grafana",
        ]
        assert "https://play.grafana.org/d/z9fD2yvnk?viewPanel=2" in cpu.links
        assert cpu.raw["alerts"][0]["values"] == {"B": 44.23943737541908, "C": 1}
        assert cpu.raw["title"] == "[FIRING:2]  (blue)"

    def test_the_seeds_payload(self):
        [alert] = parse(SEED_GRAFANA)
        assert alert.title == "Memory usage high"
        assert alert.service_name == "database"
        assert alert.starts_at is None
        assert len(alert.fingerprint) == 32

    def test_critical_is_sev1(self):
        payload = copy.deepcopy(SEED_GRAFANA)
        payload["alerts"][0]["labels"]["severity"] = "critical"
        [alert] = parse(payload)
        assert alert.severity == "SEV1_CRITICAL"

    def test_a_bad_alert_rejects_the_payload(self):
        payload = copy.deepcopy(GRAFANA)
        payload["alerts"][1]["status"] = "pending"
        with pytest.raises(InvalidPayload) as caught:
            parse(payload)
        assert "alerts.1.status" in caught.value.details


class TestReceiver:
    async def test_the_seeds_payload_opens_an_incident_on_its_service(
        self, client, admin, grafana, database
    ):
        body = (await post(client, grafana, SEED_GRAFANA)).json()
        [received] = body["alerts"]
        opened = await incident(client, admin, received["incident"])
        assert opened["title"] == "Memory usage high"
        assert opened["service"]["name"] == "database"
        assert opened["severity"] == "SEV3_MEDIUM"

    async def test_alerts_without_a_service_open_no_incident_and_say_why(
        self, client, admin, grafana
    ):
        body = (await post(client, grafana, GRAFANA)).json()
        assert [a["incident"] for a in body["alerts"]] == [None, None]
        assert await incidents(client, admin) == []
        detail = await alert_detail(client, admin, body["alerts"][0]["id"])
        assert "No incident" in detail["intake_note"]
        assert "no default service" in detail["intake_note"]

    async def test_the_integrations_default_service_takes_them(self, client, admin, db, database):
        grafana = await make_integration(db, admin.org, "grafana", default_service=database.id)
        body = (await post(client, grafana, GRAFANA)).json()
        # Two alert names: two groups, two incidents, both on the default service.
        assert len({a["incident"] for a in body["alerts"]}) == 2
        assert {i["service"]["name"] for i in await incidents(client, admin)} == {"database"}

        await post(client, grafana, resolved(GRAFANA))
        assert {i["status"] for i in await incidents(client, admin)} == {"MITIGATED"}
        assert {a["status"] for a in await alerts(client, admin)} == {"resolved"}
