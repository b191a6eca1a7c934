"""Deduplication, grouping, resolution and silences: what a stream of alerts makes of incidents."""

from __future__ import annotations

from datetime import timedelta

import pytest

from imas.db import utcnow
from tests.alerts.factories import make_integration, make_silence
from tests.alerts.helpers import alert_detail, alerts, attached, counts, incident, incidents, post
from tests.alerts.payloads import alertmanager, am_alert, resolved
from tests.incidents.factories import make_incident, make_service

LATER = "2026-02-05T19:00:00Z"


async def act(client, actor, short_id, action, **body):
    response = await client.post(
        f"/api/v1/incidents/{short_id}/{action}/", headers=actor.headers, json=body or None
    )
    assert response.status_code == 200, response.text
    return response.json()


class TestDeduplication:
    async def test_a_repeated_firing_counts_on_one_alert(self, client, admin, am):
        payload = alertmanager(am_alert())
        first = (await post(client, am, payload)).json()["alerts"][0]
        before = await alert_detail(client, admin, first["id"])
        for _ in range(2):
            [again] = (await post(client, am, payload)).json()["alerts"]
            assert again["id"] == first["id"]
            assert again["incident"] == first["incident"]
            assert again["deduplicated"] is True
        after = await alert_detail(client, admin, first["id"])
        assert after["occurrence_count"] == 3
        assert after["first_seen"] == before["first_seen"]
        assert after["last_seen"] > before["last_seen"]
        assert len(await alerts(client, admin)) == 1
        [only] = await incidents(client, admin)
        assert len(attached(await incident(client, admin, only["id"]))) == 1

    async def test_a_repeat_never_undoes_an_acknowledgement(self, client, admin, am):
        payload = alertmanager(am_alert())
        [fired] = (await post(client, am, payload)).json()["alerts"]
        await act(client, admin, fired["incident"], "acknowledge")
        await post(client, am, payload)
        assert (await incident(client, admin, fired["incident"]))["status"] == "ACKNOWLEDGED"

    async def test_a_repeat_never_reopens_an_incident_resolved_in_imas(self, client, admin, am):
        payload = alertmanager(am_alert())
        [fired] = (await post(client, am, payload)).json()["alerts"]
        await act(client, admin, fired["incident"], "resolve")
        [again] = (await post(client, am, payload)).json()["alerts"]
        assert again["id"] == fired["id"]
        assert again["deduplicated"] is True
        assert (await incident(client, admin, fired["incident"]))["status"] == "RESOLVED"
        assert len(await incidents(client, admin)) == 1
        assert (await alert_detail(client, admin, fired["id"]))["occurrence_count"] == 2

    async def test_a_repeat_of_an_alert_resolved_in_imas_only_counts(self, client, admin, am):
        payload = alertmanager(am_alert())
        [fired] = (await post(client, am, payload)).json()["alerts"]
        patched = await client.patch(
            f"/api/v1/alerts/{fired['id']}/", headers=admin.headers, json={"is_resolved": True}
        )
        assert patched.status_code == 200, patched.text
        await post(client, am, payload)
        detail = await alert_detail(client, admin, fired["id"])
        assert detail["is_resolved"] is True
        assert detail["status"] == "firing"
        assert detail["occurrence_count"] == 2
        assert len(await incidents(client, admin)) == 1

    async def test_a_repeat_never_recreates_a_deleted_incident(self, client, admin, am):
        payload = alertmanager(am_alert())
        [fired] = (await post(client, am, payload)).json()["alerts"]
        gone = await client.delete(f"/api/v1/incidents/{fired['incident']}/", headers=admin.headers)
        assert gone.status_code in (200, 204), gone.text
        [again] = (await post(client, am, payload)).json()["alerts"]
        assert again["id"] == fired["id"]
        assert again["incident"] is None
        assert await incidents(client, admin) == []

    async def test_a_late_repeat_of_a_resolved_firing_reopens_nothing(self, client, admin, am):
        payload = alertmanager(am_alert())
        [fired] = (await post(client, am, payload)).json()["alerts"]
        await post(client, am, resolved(payload))
        [late] = (await post(client, am, payload)).json()["alerts"]  # same startsAt
        assert late["id"] == fired["id"]
        assert late["deduplicated"] is True
        assert late["status"] == "resolved"
        assert len(await alerts(client, admin)) == 1
        [only] = await incidents(client, admin)
        assert only["status"] == "MITIGATED"

    async def test_a_new_firing_after_the_incident_was_resolved_opens_a_new_one(
        self, client, admin, am
    ):
        [fired] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        await post(client, am, resolved(alertmanager(am_alert())))
        await act(client, admin, fired["incident"], "resolve")

        [again] = (await post(client, am, alertmanager(am_alert(starts_at=LATER)))).json()["alerts"]
        assert again["id"] != fired["id"]
        assert again["deduplicated"] is False
        assert again["incident"] not in (None, fired["incident"])
        assert (await incident(client, admin, again["incident"]))["status"] == "TRIGGERED"
        assert len(await alerts(client, admin, search=fired["fingerprint"])) == 2

    async def test_with_resolve_behaviour_a_new_firing_opens_a_new_incident(
        self, client, admin, db, api_gateway
    ):
        hook = await make_integration(db, admin.org, resolve_behaviour="resolve")
        [fired] = (await post(client, hook, alertmanager(am_alert()))).json()["alerts"]
        await post(client, hook, resolved(alertmanager(am_alert())))
        closed = await incident(client, admin, fired["incident"])
        assert closed["status"] == "RESOLVED"
        assert closed["resolution_note"] == "every alert of the incident is resolved"
        [again] = (await post(client, hook, alertmanager(am_alert(starts_at=LATER)))).json()[
            "alerts"
        ]
        assert again["incident"] != fired["incident"]

    async def test_a_new_firing_while_the_old_one_never_resolved_replaces_it(
        self, client, admin, am
    ):
        [fired] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        [again] = (await post(client, am, alertmanager(am_alert(starts_at=LATER)))).json()["alerts"]
        assert again["id"] != fired["id"]
        assert again["incident"] == fired["incident"]  # same group, incident still open
        old = await alert_detail(client, admin, fired["id"])
        assert old["status"] == "resolved"
        assert old["ends_at"] == LATER
        assert (await incident(client, admin, fired["incident"]))["status"] == "TRIGGERED"

    async def test_the_same_fingerprint_of_two_integrations_is_two_alerts(
        self, client, admin, db, am
    ):
        other = await make_integration(db, admin.org, "alertmanager", name="staging")
        a = (await post(client, am, alertmanager(am_alert()))).json()["alerts"][0]
        b = (await post(client, other, alertmanager(am_alert()))).json()["alerts"][0]
        assert a["fingerprint"] == b["fingerprint"]
        assert a["id"] != b["id"]
        # Same service and title: the incidents service puts them in one incident.
        assert a["incident"] == b["incident"]


class TestGrouping:
    async def test_alerts_of_one_group_in_separate_posts_share_the_incident(
        self, client, admin, am
    ):
        [a] = (await post(client, am, alertmanager(am_alert(instance="1")))).json()["alerts"]
        [b] = (
            await post(client, am, alertmanager(am_alert(instance="2", summary="Other text")))
        ).json()["alerts"]
        assert a["incident"] == b["incident"]
        entries = attached(await incident(client, admin, a["incident"]))
        assert [e["data"]["alert_id"] for e in entries] == [a["id"], b["id"]]
        assert entries[1]["message"].startswith("Alert attached: Other text")

    async def test_grouping_labels_are_the_integrations(self, client, admin, db, api_gateway):
        await make_service(db, admin.org, "billing")
        hook = await make_integration(db, admin.org, grouping_labels=["alertname"])
        body = (
            await post(
                client,
                hook,
                alertmanager(am_alert(service="api-gateway"), am_alert(service="billing")),
            )
        ).json()
        assert len({a["incident"] for a in body["alerts"]}) == 1

        per_instance = await make_integration(db, admin.org, grouping_labels=["instance"])
        body = (
            await post(
                client,
                per_instance,
                alertmanager(
                    am_alert("Up", instance="a", summary="Up"),
                    am_alert("Up", instance="b", summary="Up on b"),
                ),
            )
        ).json()
        assert len({a["incident"] for a in body["alerts"]}) == 2

    async def test_the_group_uses_the_resolved_service(self, client, admin, db, api_gateway):
        hook = await make_integration(db, admin.org, default_service=api_gateway.id)
        body = (
            await post(
                client, hook, alertmanager(am_alert(service=None), am_alert(instance="named"))
            )
        ).json()
        assert len({a["incident"] for a in body["alerts"]}) == 1

    async def test_an_open_incident_of_the_same_title_takes_the_alert(
        self, client, admin, db, am, api_gateway
    ):
        manual = await make_incident(
            db, admin.org, admin.user, api_gateway, title="High latency on API Gateway"
        )
        [fired] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        assert fired["incident"] == manual.short_id
        [entry] = attached(await incident(client, admin, manual.short_id))
        assert entry["data"]["opened"] is False

    async def test_after_the_incident_is_resolved_the_group_opens_a_new_one(
        self, client, admin, am
    ):
        [a] = (await post(client, am, alertmanager(am_alert(instance="1")))).json()["alerts"]
        await act(client, admin, a["incident"], "resolve")
        [b] = (await post(client, am, alertmanager(am_alert(instance="2")))).json()["alerts"]
        assert b["incident"] != a["incident"]

    async def test_a_mitigated_incident_still_takes_its_groups_new_alerts(self, client, admin, am):
        [a] = (await post(client, am, alertmanager(am_alert(instance="1")))).json()["alerts"]
        await post(client, am, resolved(alertmanager(am_alert(instance="1"))))
        [b] = (await post(client, am, alertmanager(am_alert(instance="2")))).json()["alerts"]
        assert b["incident"] == a["incident"]
        assert len(await incidents(client, admin)) == 1

    async def test_a_more_severe_alert_raises_the_incidents_severity_never_lowers_it(
        self, client, admin, am
    ):
        warning = am_alert(instance="1", severity="warning")
        [a] = (await post(client, am, alertmanager(warning))).json()["alerts"]
        assert (await incident(client, admin, a["incident"]))["severity"] == "SEV2_HIGH"

        await post(client, am, alertmanager(am_alert(instance="2", severity="critical")))
        raised = await incident(client, admin, a["incident"])
        assert raised["severity"] == "SEV1_CRITICAL"
        [change] = [e for e in raised["timeline"] if e["type"] == "SEVERITY_CHANGE"]
        assert "SEV2_HIGH to SEV1_CRITICAL" in change["message"]

        await post(client, am, alertmanager(am_alert(instance="3", severity="info")))
        assert (await incident(client, admin, a["incident"]))["severity"] == "SEV1_CRITICAL"


class TestResolution:
    async def test_the_incident_stays_open_until_its_last_alert_resolves(self, client, admin, am):
        one, two = am_alert(instance="1"), am_alert(instance="2")
        [a, _] = (await post(client, am, alertmanager(one, two))).json()["alerts"]
        await post(client, am, resolved(alertmanager(one)))
        assert (await incident(client, admin, a["incident"]))["status"] == "TRIGGERED"
        await post(client, am, resolved(alertmanager(two)))
        assert (await incident(client, admin, a["incident"]))["status"] == "MITIGATED"

    async def test_an_acknowledged_incident_is_mitigated_too(self, client, admin, am):
        [a] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        await act(client, admin, a["incident"], "acknowledge")
        await post(client, am, resolved(alertmanager(am_alert())))
        detail = await incident(client, admin, a["incident"])
        assert detail["status"] == "MITIGATED"
        assert detail["acknowledged_by"]["id"] == str(admin.user.id)

    async def test_an_incident_resolved_in_imas_stays_resolved(self, client, admin, am):
        [a] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        await act(client, admin, a["incident"], "resolve", resolution_note="fixed by hand")
        await post(client, am, resolved(alertmanager(am_alert())))
        detail = await incident(client, admin, a["incident"])
        assert detail["status"] == "RESOLVED"
        assert detail["resolution_note"] == "fixed by hand"

    async def test_resolving_an_unknown_alert_stores_nothing(self, client, admin, am, db):
        body = (await post(client, am, resolved(alertmanager(am_alert())))).json()
        assert body["alerts"][0]["status"] == "ignored"
        assert await counts(db) == (0, 0)

    async def test_a_repeated_resolution_is_harmless(self, client, admin, am):
        await post(client, am, alertmanager(am_alert()))
        await post(client, am, resolved(alertmanager(am_alert())))
        [again] = (await post(client, am, resolved(alertmanager(am_alert())))).json()["alerts"]
        assert again["deduplicated"] is True
        assert [i["status"] for i in await incidents(client, admin)] == ["MITIGATED"]

    async def test_a_late_resolution_of_an_earlier_firing_is_ignored(self, client, admin, am):
        await post(client, am, alertmanager(am_alert()))
        [current] = (await post(client, am, alertmanager(am_alert(starts_at=LATER)))).json()[
            "alerts"
        ]
        await post(client, am, resolved(alertmanager(am_alert())))  # of the first firing
        assert (await alert_detail(client, admin, current["id"]))["status"] == "firing"


class TestSilences:
    async def test_a_matching_silence_stores_the_alert_silenced_without_incident(
        self, client, admin, db, am
    ):
        silence = await make_silence(
            db, admin.org, admin.user, [{"name": "service", "op": "=", "value": "api-gateway"}]
        )
        [fired] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        assert fired["silenced"] is True
        assert fired["incident"] is None
        assert await incidents(client, admin) == []
        detail = await alert_detail(client, admin, fired["id"])
        assert detail["silence_id"] == str(silence.id)
        assert detail["intake_note"].startswith("Silenced until")

    @pytest.mark.parametrize(
        ("matchers", "silenced"),
        [
            ([{"name": "service", "op": "!=", "value": "api-gateway"}], False),
            ([{"name": "service", "op": "=~", "value": "api-.*"}], True),
            ([{"name": "service", "op": "=~", "value": "api"}], False),  # anchored
            ([{"name": "service", "op": "!~", "value": "billing|search"}], True),
            ([{"name": "team", "op": "=", "value": ""}], True),  # absent label is ""
            (
                [
                    {"name": "alertname", "op": "=", "value": "HighLatency"},
                    {"name": "severity", "op": "=", "value": "warning"},
                ],
                False,  # every matcher must match
            ),
            ([{"name": "alertname", "value": "HighLatency", "isRegex": False}], True),
        ],
    )
    async def test_matcher_semantics(self, client, admin, db, am, matchers, silenced):
        await make_silence(db, admin.org, admin.user, matchers)
        [fired] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        assert fired["silenced"] is silenced
        assert (fired["incident"] is None) is silenced

    async def test_only_an_active_silence_silences(self, client, admin, db, am):
        now = utcnow()
        matchers = [{"name": "alertname", "op": "=", "value": "HighLatency"}]
        await make_silence(
            db,
            admin.org,
            admin.user,
            matchers,
            starts_at=now + timedelta(hours=1),
            ends_at=now + timedelta(hours=2),
        )
        await make_silence(
            db,
            admin.org,
            admin.user,
            matchers,
            starts_at=now - timedelta(hours=2),
            ends_at=now - timedelta(hours=1),
        )
        [fired] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        assert fired["silenced"] is False
        assert fired["incident"] is not None

    async def test_once_the_silence_is_gone_a_repeat_opens_the_incident(
        self, client, admin, db, am
    ):
        silence = await make_silence(
            db, admin.org, admin.user, [{"name": "alertname", "op": "=", "value": "HighLatency"}]
        )
        [quiet] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        assert quiet["incident"] is None
        gone = await client.delete(f"/api/v1/silences/{silence.id}/", headers=admin.headers)
        assert gone.status_code == 204
        [loud] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        assert loud["id"] == quiet["id"]
        assert loud["silenced"] is False
        assert loud["incident"] is not None
        detail = await alert_detail(client, admin, quiet["id"])
        assert detail["intake_note"] is None
        assert detail["occurrence_count"] == 2

    async def test_another_organizations_silence_does_not_apply(
        self, client, admin, outsider, db, am
    ):
        await make_silence(
            db, outsider.org, outsider.user, [{"name": "alertname", "op": "=~", "value": ".*"}]
        )
        [fired] = (await post(client, am, alertmanager(am_alert()))).json()["alerts"]
        assert fired["silenced"] is False


class TestNoService:
    async def test_a_service_created_later_takes_the_next_repeat(self, client, admin, db):
        hook = await make_integration(db, admin.org)
        [orphan] = (await post(client, hook, alertmanager(am_alert(service="search")))).json()[
            "alerts"
        ]
        assert orphan["incident"] is None
        await make_service(db, admin.org, "search")
        [placed] = (await post(client, hook, alertmanager(am_alert(service="search")))).json()[
            "alerts"
        ]
        assert placed["id"] == orphan["id"]
        assert (await incident(client, admin, placed["incident"]))["service"]["name"] == "search"

    async def test_service_names_match_case_insensitively(self, client, admin, db, am):
        [fired] = (await post(client, am, alertmanager(am_alert(service="API-Gateway")))).json()[
            "alerts"
        ]
        assert fired["incident"] is not None
