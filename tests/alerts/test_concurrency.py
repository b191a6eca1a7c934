"""Simultaneous posts: the unique index on firing fingerprints, the integration's row lock and
the incident's make them add up exactly, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

from tests.alerts.factories import make_integration
from tests.alerts.helpers import alert_detail, alerts, attached, incident, incidents, post
from tests.alerts.payloads import alertmanager, am_alert, resolved

N = 50


async def test_fifty_posts_of_one_firing_alert_make_one_alert_counted_fifty_times(
    client, admin, am
):
    payload = alertmanager(am_alert())
    responses = await asyncio.gather(*(post(client, am, payload) for _ in range(N)))
    received = [r.json()["alerts"][0] for r in responses]
    assert len({a["id"] for a in received}) == 1
    assert len({a["incident"] for a in received}) == 1
    assert sorted(a["deduplicated"] for a in received) == [False] + [True] * (N - 1)

    [only] = await alerts(client, admin)
    assert only["occurrence_count"] == N
    [opened] = await incidents(client, admin)
    assert len(attached(await incident(client, admin, opened["id"]))) == 1


async def test_fifty_different_alerts_of_one_group_make_one_incident(client, admin, am):
    posts = [
        post(client, am, alertmanager(am_alert(instance=f"web-{i}", summary=f"Slow web-{i}")))
        for i in range(N)
    ]
    received = [r.json()["alerts"][0] for r in await asyncio.gather(*posts)]
    assert len({a["id"] for a in received}) == N
    assert len({a["incident"] for a in received}) == 1
    [opened] = await incidents(client, admin)
    assert len(attached(await incident(client, admin, opened["id"]))) == N


async def test_two_integrations_racing_to_the_same_incident_make_one(
    client, admin, db, am, api_gateway
):
    other = await make_integration(db, admin.org, name="second-alertmanager")
    payload = alertmanager(am_alert())
    posts = [post(client, hook, payload) for _ in range(10) for hook in (am, other)]
    received = [r.json()["alerts"][0] for r in await asyncio.gather(*posts)]
    assert len({a["id"] for a in received}) == 2
    assert len({a["incident"] for a in received}) == 1


async def test_racing_resolutions_mitigate_once(client, admin, am):
    payload = alertmanager(*(am_alert(instance=f"web-{i}") for i in range(5)))
    [first, *_] = (await post(client, am, payload)).json()["alerts"]
    singles = [alertmanager(alert) for alert in resolved(payload)["alerts"]]
    await asyncio.gather(*(post(client, am, one) for one in singles * 3))
    detail = await incident(client, admin, first["incident"])
    assert detail["status"] == "MITIGATED"
    moves = [e for e in detail["timeline"] if e["data"].get("to_status") == "MITIGATED"]
    assert len(moves) == 1
    for alert in await alerts(client, admin):
        assert (await alert_detail(client, admin, alert["id"]))["status"] == "resolved"
