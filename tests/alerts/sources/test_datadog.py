"""Datadog's webhooks integration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from imas.alerts.exceptions import InvalidPayload
from imas.alerts.sources import registry
from imas.catalog.models import Service
from tests.alerts.factories import make_integration
from tests.alerts.helpers import alert_detail, alerts, incident, incidents, post
from tests.alerts.payloads import SEED_DATADOG, datadog
from tests.incidents.factories import make_service


def parse(payload, **overrides):
    return registry.configured("datadog", {}, overrides).parse(payload)


@pytest.fixture
async def web_app(db, admin) -> Service:
    return await make_service(db, admin.org, "web-app")


@pytest.fixture
async def dd(db, admin):
    return await make_integration(db, admin.org, "datadog", name="datadog")


class TestParse:
    def test_the_seeds_payload(self):
        [alert] = parse(SEED_DATADOG)
        assert alert.fingerprint == "1234567890"
        assert alert.status == "firing"
        assert alert.title == "High CPU on web-server-01"
        assert alert.description == "CPU usage exceeded 90% for 10 minutes"
        assert alert.severity == "SEV1_CRITICAL"
        assert alert.service_name == "web-app"
        assert alert.labels["service"] == "web-app"
        assert alert.labels["env"] == "production"
        assert alert.labels["metric"] == "system.cpu.user"
        assert alert.starts_at == datetime.fromtimestamp(1707152400, tz=UTC)
        assert alert.raw == SEED_DATADOG

    @pytest.mark.parametrize(
        ("alert_type", "expected"),
        [("error", "SEV1_CRITICAL"), ("warning", "SEV2_HIGH"), ("info", "SEV4_LOW")],
    )
    def test_severity_follows_the_seeds_table(self, alert_type, expected):
        [alert] = parse({**SEED_DATADOG, "alert_type": alert_type})
        assert alert.severity == expected

    def test_the_aggregation_key_ties_a_recovery_to_its_trigger(self):
        [trigger] = parse(datadog(event_id="1", transition="Triggered"))
        [recovery] = parse(datadog(event_id="2", transition="Recovered", alert_type="success"))
        assert trigger.fingerprint == recovery.fingerprint == "c2b3a1e0ff"
        assert trigger.status == "firing"
        assert recovery.status == "resolved"
        assert trigger.title == recovery.title == "High CPU on web-server-01"
        assert recovery.ends_at == datetime.fromtimestamp(1707152400, tz=UTC)

    def test_a_list_of_events_is_several_alerts(self):
        alerts = parse([datadog(aggreg_key="a"), datadog(aggreg_key="b")])
        assert [a.fingerprint for a in alerts] == ["a", "b"]

    @pytest.mark.parametrize(
        "payload",
        [{}, {"id": "1"}, {"title": "x"}, {"id": "1", "title": ""}, [], ["x"], "text"],
    )
    def test_anything_else_is_an_invalid_payload(self, payload):
        with pytest.raises(InvalidPayload):
            parse(payload)


class TestReceiver:
    async def test_the_seeds_payload_opens_an_incident(self, client, admin, dd, web_app):
        [received] = (await post(client, dd, SEED_DATADOG)).json()["alerts"]
        opened = await incident(client, admin, received["incident"])
        assert opened["title"] == "High CPU on web-server-01"
        assert opened["severity"] == "SEV1_CRITICAL"
        assert opened["service"]["name"] == "web-app"

    async def test_renotifications_count_and_the_recovery_mitigates(
        self, client, admin, dd, web_app
    ):
        first = (await post(client, dd, datadog(event_id="1"))).json()["alerts"][0]
        again = (await post(client, dd, datadog(event_id="2", transition="Renotify"))).json()
        assert again["alerts"][0]["id"] == first["id"]
        assert again["alerts"][0]["deduplicated"] is True
        assert (await alert_detail(client, admin, first["id"]))["occurrence_count"] == 2

        recovery = datadog(event_id="3", transition="Recovered", alert_type="success")
        [done] = (await post(client, dd, recovery)).json()["alerts"]
        assert done["id"] == first["id"]
        assert done["status"] == "resolved"
        assert (await incident(client, admin, first["incident"]))["status"] == "MITIGATED"

    async def test_a_list_of_events_in_one_post(self, client, admin, dd, web_app):
        payload = [datadog(aggreg_key="a"), datadog(aggreg_key="b")]
        body = (await post(client, dd, payload)).json()
        assert body["received"] == 2
        # Same service and monitor title: one group, one incident.
        assert len({a["incident"] for a in body["alerts"]}) == 1
        assert len(await alerts(client, admin)) == 2
        assert len(await incidents(client, admin)) == 1

    async def test_the_service_tag_can_be_renamed(self, client, admin, db, web_app):
        hook = await make_integration(db, admin.org, "datadog", options={"service_label": "app"})
        [received] = (await post(client, hook, datadog(tags="app:web-app"))).json()["alerts"]
        assert (await incident(client, admin, received["incident"]))["service"]["name"] == "web-app"
