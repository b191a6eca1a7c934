"""Prometheus Alertmanager: its webhook payload (version 4) in, normalized alerts and incidents
out."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime

import pytest

from imas.alerts.exceptions import InvalidPayload
from imas.alerts.sources import registry
from tests.alerts.helpers import alert_detail, alerts, attached, incident, incidents, post
from tests.alerts.payloads import SEED_ALERTMANAGER, alertmanager, am_alert, resolved


def parse(payload, **overrides):
    return registry.configured("alertmanager", {}, overrides).parse(payload)


class TestParse:
    def test_the_seeds_payload(self):
        [alert] = parse(SEED_ALERTMANAGER)
        assert re.fullmatch(r"[0-9a-f]{32}", alert.fingerprint)
        assert alert.status == "firing"
        assert alert.title == "High latency on API Gateway"
        assert alert.description == "P99 latency > 500ms for 5 minutes"
        assert alert.labels == SEED_ALERTMANAGER["alerts"][0]["labels"]
        assert alert.annotations["summary"] == "High latency on API Gateway"
        assert alert.severity == "SEV1_CRITICAL"
        assert alert.service_name == "api-gateway"
        assert alert.starts_at == datetime(2026, 2, 5, 18, 0, tzinfo=UTC)
        assert alert.ends_at is None
        assert alert.links == ["http://prometheus:9090/graph"]
        assert alert.raw == SEED_ALERTMANAGER

    def test_the_fingerprint_is_alertmanagers_own_when_sent(self):
        [alert] = parse(alertmanager(am_alert(fingerprint="a1b2c3d4e5f60718")))
        assert alert.fingerprint == "a1b2c3d4e5f60718"

    def test_the_computed_fingerprint_depends_on_the_labels_only(self):
        one = am_alert(instance="web-1")
        reordered = copy.deepcopy(one)
        reordered["labels"] = dict(reversed(list(one["labels"].items())))
        reordered["annotations"]["summary"] = "another text"
        other = am_alert(instance="web-2")
        [a], [b], [c] = (
            parse(alertmanager(one)),
            parse(alertmanager(reordered)),
            parse(alertmanager(other)),
        )
        assert a.fingerprint == b.fingerprint != c.fingerprint

    @pytest.mark.parametrize(
        ("severity", "expected"),
        [
            ("critical", "SEV1_CRITICAL"),
            ("warning", "SEV2_HIGH"),
            ("info", "SEV4_LOW"),
            ("CRITICAL", "SEV1_CRITICAL"),
            ("sev4_low", "SEV4_LOW"),
            ("whatever", "SEV3_MEDIUM"),
        ],
    )
    def test_severity_follows_the_seeds_table(self, severity, expected):
        [alert] = parse(alertmanager(am_alert(severity=severity)))
        assert alert.severity == expected

    def test_an_integration_overrides_the_table(self):
        [alert] = parse(alertmanager(am_alert(severity="warning")), warning="SEV4_LOW")
        assert alert.severity == "SEV4_LOW"

    def test_an_alert_without_summary_is_titled_by_its_name(self):
        [alert] = parse(alertmanager(am_alert(summary=None)))
        assert alert.title == "HighLatency"

    def test_a_resolved_alert_keeps_its_end(self):
        [alert] = parse(resolved(alertmanager(am_alert())))
        assert alert.status == "resolved"
        assert alert.ends_at == datetime(2026, 2, 5, 18, 30, tzinfo=UTC)

    def test_several_alerts_each_keep_their_own_raw_part(self):
        payload = alertmanager(am_alert(instance="web-1"), am_alert(instance="web-2"))
        first, second = parse(payload)
        assert first.labels["instance"] == "web-1"
        assert second.labels["instance"] == "web-2"
        assert second.raw["alerts"] == [payload["alerts"][1]]
        assert second.raw["receiver"] == "imas"

    @pytest.mark.parametrize(
        "payload",
        [
            {},
            {"alerts": []},
            {"alerts": "nope"},
            {"alerts": [{"status": "burning", "labels": {"alertname": "X"}}]},
            {"alerts": [{"status": "firing"}]},
            {"alerts": [{"status": "firing", "labels": {}}]},
            {"alerts": [{"status": "firing", "labels": {"a": 1}}]},
            {"alerts": [{"status": "firing", "labels": {"a": "b"}, "startsAt": "yesterday"}]},
            [SEED_ALERTMANAGER],
        ],
    )
    def test_anything_else_is_an_invalid_payload(self, payload):
        with pytest.raises(InvalidPayload) as caught:
            parse(payload)
        assert caught.value.status_code == 400
        assert caught.value.details


class TestReceiver:
    async def test_the_seeds_payload_opens_an_incident(self, client, admin, am):
        response = await post(client, am, SEED_ALERTMANAGER)
        body = response.json()
        assert body["status"] == "ok"
        assert body["received"] == 1
        [received] = body["alerts"]
        assert received["status"] == "firing"
        assert received["deduplicated"] is False
        assert received["silenced"] is False
        assert re.fullmatch(r"INC-[A-Z0-9]{6}", received["incident"])

        opened = await incident(client, admin, received["incident"])
        assert opened["title"] == "High latency on API Gateway"
        assert opened["description"] == "P99 latency > 500ms for 5 minutes"
        assert opened["severity"] == "SEV1_CRITICAL"
        assert opened["status"] == "TRIGGERED"
        assert opened["service"]["name"] == "api-gateway"
        assert opened["detected_at"] == "2026-02-05T18:00:00Z"
        assert opened["lead"] is None
        [entry] = attached(opened)
        assert entry["data"]["alert_id"] == received["id"]
        assert entry["data"]["opened"] is True

        detail = await alert_detail(client, admin, received["id"])
        assert detail["source"] == "alertmanager"
        assert detail["integration"]["name"] == "prod-alertmanager"
        assert detail["incident"]["short_id"] == received["incident"]
        assert detail["raw_payload"] == SEED_ALERTMANAGER
        assert detail["occurrence_count"] == 1
        assert detail["links"] == ["http://prometheus:9090/graph"]

    async def test_one_group_of_several_alerts_is_one_incident(self, client, admin, am):
        payload = alertmanager(
            am_alert(instance="web-1"), am_alert(instance="web-2"), am_alert(instance="web-3")
        )
        body = (await post(client, am, payload)).json()
        assert body["received"] == 3
        assert len({a["id"] for a in body["alerts"]}) == 3
        assert len({a["incident"] for a in body["alerts"]}) == 1
        [only] = await incidents(client, admin)
        detail = await incident(client, admin, only["short_id"])
        assert [e["data"]["opened"] for e in attached(detail)] == [True, False, False]

    async def test_different_alert_names_are_different_incidents(self, client, admin, am):
        payload = alertmanager(am_alert("HighLatency"), am_alert("ErrorRate", summary="Errors"))
        body = (await post(client, am, payload)).json()
        assert len({a["incident"] for a in body["alerts"]}) == 2
        assert {i["title"] for i in await incidents(client, admin)} == {
            "High latency on API Gateway",
            "Errors",
        }

    async def test_resolving_every_alert_mitigates_the_incident(self, client, admin, am):
        payload = alertmanager(am_alert(instance="web-1"), am_alert(instance="web-2"))
        body = (await post(client, am, payload)).json()
        short_id = body["alerts"][0]["incident"]

        done = (await post(client, am, resolved(payload))).json()
        assert [a["status"] for a in done["alerts"]] == ["resolved", "resolved"]
        assert [a["deduplicated"] for a in done["alerts"]] == [False, False]
        detail = await incident(client, admin, short_id)
        assert detail["status"] == "MITIGATED"
        assert detail["mitigated_at"] is not None
        [mitigation] = [e for e in detail["timeline"] if e["data"].get("to_status") == "MITIGATED"]
        assert mitigation["message"].startswith("Mitigated by integration:prod-alertmanager")
        for alert in await alerts(client, admin):
            assert alert["status"] == "resolved"
            assert alert["is_resolved"] is True
            assert alert["ends_at"] == "2026-02-05T18:30:00Z"
