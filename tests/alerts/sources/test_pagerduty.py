"""The PagerDuty Events API v2 compatible receiver."""

from __future__ import annotations

import pytest

from imas.alerts.exceptions import InvalidPayload
from imas.alerts.sources import registry
from tests.alerts.factories import make_integration
from tests.alerts.helpers import alert_detail, alerts, incident, incidents
from tests.alerts.payloads import PAGERDUTY_TRIGGER, pagerduty
from tests.incidents.factories import make_service


def parse(payload, **overrides):
    return registry.configured("pagerduty", {}, overrides).parse(payload)


@pytest.fixture
async def storage(db, admin):
    return await make_service(db, admin.org, "storage")


@pytest.fixture
async def pd(db, admin, storage):
    return await make_integration(db, admin.org, "pagerduty", default_service=storage.id)


async def send(client, hook, event, expect=202):
    response = await client.post(hook.url, json=event, headers=hook.headers)
    assert response.status_code == expect, response.text
    return response.json()


class TestParse:
    def test_the_documented_trigger(self):
        [alert] = parse(PAGERDUTY_TRIGGER)
        assert alert.fingerprint == "srv01/mysql"
        assert alert.status == "firing"
        assert alert.title == "DISK at 99% on machine prod-datapipe03.example.com"
        assert alert.severity == "SEV1_CRITICAL"
        assert alert.labels == {
            "severity": "critical",
            "source": "prod-datapipe03.example.com",
            "component": "mysql",
            "group": "prod-datapipe",
            "class": "disk",
            "alertname": "disk",
        }
        assert alert.annotations == {"free space": "1%", "ping time": "1500ms", "load avg": "0.75"}
        assert alert.links == ["https://monitoring.service.com", "http://acme.pagerduty.com"]
        assert alert.starts_at is not None
        assert alert.starts_at.year == 2015
        assert "routing_key" not in alert.raw  # a credential is not kept
        assert alert.raw["payload"] == PAGERDUTY_TRIGGER["payload"]

    @pytest.mark.parametrize(
        ("severity", "expected"),
        [
            ("critical", "SEV1_CRITICAL"),
            ("error", "SEV2_HIGH"),
            ("warning", "SEV3_MEDIUM"),
            ("info", "SEV4_LOW"),
        ],
    )
    def test_severity(self, severity, expected):
        [alert] = parse(pagerduty("trigger", severity=severity))
        assert alert.severity == expected

    def test_acknowledge_and_resolve_act_on_the_dedup_key(self):
        [ack] = parse(pagerduty("acknowledge"))
        [res] = parse(pagerduty("resolve"))
        assert ack.fingerprint == res.fingerprint == "srv01/mysql"
        assert ack.acknowledged
        assert ack.update_only
        assert ack.status == "firing"
        assert res.update_only
        assert res.status == "resolved"

    def test_a_trigger_without_dedup_key_gets_a_stable_one(self):
        event = {k: v for k, v in PAGERDUTY_TRIGGER.items() if k != "dedup_key"}
        [a], [b] = parse(event), parse(event)
        assert a.fingerprint == b.fingerprint
        assert len(a.fingerprint) == 32

    def test_the_routing_key_authenticates(self):
        source = registry.get("pagerduty")()
        assert source.key_in_payload(PAGERDUTY_TRIGGER) == "e93facc04764012d7bfb002500d5d1a6"

    @pytest.mark.parametrize(
        "payload",
        [
            {"event_action": "trigger"},
            {"event_action": "resolve"},
            {"event_action": "explode", "dedup_key": "x"},
            {**PAGERDUTY_TRIGGER, "payload": {"summary": "x", "source": "y"}},
            {**PAGERDUTY_TRIGGER, "payload": {**PAGERDUTY_TRIGGER["payload"], "severity": "high"}},
        ],
    )
    def test_anything_else_is_an_invalid_payload(self, payload):
        with pytest.raises(InvalidPayload):
            parse(payload)


class TestReceiver:
    async def test_trigger_acknowledge_resolve(self, client, admin, pd):
        body = await send(client, pd, pagerduty("trigger"))
        assert body["status"] == "ok"
        assert body["message"] == "Event processed"
        assert body["dedup_key"] == "srv01/mysql"
        [fired] = body["alerts"]
        opened = await incident(client, admin, fired["incident"])
        assert opened["service"]["name"] == "storage"
        assert opened["status"] == "TRIGGERED"

        [acked] = (await send(client, pd, pagerduty("acknowledge")))["alerts"]
        assert acked["id"] == fired["id"]
        assert (await alert_detail(client, admin, fired["id"]))["acknowledged_at"] is not None
        assert (await incident(client, admin, fired["incident"]))["status"] == "ACKNOWLEDGED"

        [done] = (await send(client, pd, pagerduty("resolve")))["alerts"]
        assert done["status"] == "resolved"
        assert (await incident(client, admin, fired["incident"]))["status"] == "MITIGATED"

    async def test_the_routing_key_alone_authenticates(self, client, admin, pd):
        event = {**pagerduty("trigger"), "routing_key": pd.key}
        response = await client.post(pd.url, json=event)
        assert response.status_code == 202, response.text

    async def test_several_events_in_one_post(self, client, admin, pd):
        events = [pagerduty("trigger", "a"), pagerduty("trigger", "b"), pagerduty("resolve", "a")]
        body = await send(client, pd, events)
        assert body["received"] == 3
        assert "dedup_key" not in body
        assert [a["status"] for a in body["alerts"]] == ["firing", "firing", "resolved"]
        # Same class and service: one group, one incident, still open because "b" fires.
        [only] = await incidents(client, admin)
        assert only["status"] == "TRIGGERED"
        assert len(await alerts(client, admin)) == 2

    async def test_acknowledging_or_resolving_an_unknown_key_changes_nothing(
        self, client, admin, pd
    ):
        for action in ("acknowledge", "resolve"):
            [ignored] = (await send(client, pd, pagerduty(action, "nope")))["alerts"]
            assert ignored == {
                "id": None,
                "fingerprint": "nope",
                "status": "ignored",
                "incident": None,
                "deduplicated": False,
                "silenced": False,
            }
        assert await alerts(client, admin) == []


async def test_a_pagerduty_key_on_another_receiver_is_refused(client, db, admin):
    hook = await make_integration(db, admin.org, "pagerduty")
    response = await client.post(
        "/api/v1/webhooks/generic/", json={"title": "x"}, headers=hook.headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "integration_kind_mismatch"
