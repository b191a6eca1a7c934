"""Posts that arrive together are committed together: fewer transactions than posts, each post
still answered with its own outcome (or its own error), each organization's alerts its own."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from imas.api.app import create_app
from tests.alerts.factories import make_integration
from tests.alerts.helpers import alerts, counts, incidents, post
from tests.alerts.payloads import alertmanager, am_alert
from tests.conftest import client_for
from tests.factories import make_actor
from tests.helpers import assert_error
from tests.incidents.factories import make_service


def _commits(db) -> list[int]:
    seen: list[int] = []
    event.listen(db.engine.sync_engine, "commit", lambda conn: seen.append(1))
    return seen


async def test_concurrent_posts_share_transactions_and_each_gets_its_own_answer(
    client, db, admin, am
):
    commits = _commits(db)
    payloads = [alertmanager(am_alert(instance=f"web-{i}", summary=f"web-{i}")) for i in range(30)]
    responses = await asyncio.gather(*(post(client, am, p) for p in payloads))

    fingerprints = [r.json()["alerts"][0]["fingerprint"] for r in responses]
    assert len(set(fingerprints)) == 30
    assert len(commits) < 30
    assert len(await alerts(client, admin)) == 30


async def test_a_post_that_fails_fails_alone(client, db, admin, am, monkeypatch):
    from imas.alerts.service import intake

    original = intake._new

    async def failing(intake_, incoming):
        if incoming.title == "poison":
            raise RuntimeError("disk on fire")
        return await original(intake_, incoming)

    monkeypatch.setattr(intake, "_new", failing)
    good = [alertmanager(am_alert(instance=f"ok-{i}", summary=f"ok-{i}")) for i in range(5)]
    bad = alertmanager(am_alert(instance="bad", summary="poison"))
    responses = await asyncio.gather(
        *(post(client, am, p, expect=None) for p in [*good[:3], bad, *good[3:]])
    )

    assert [r.status_code for r in responses] == [200, 200, 200, 500, 200, 200]
    assert_error(responses[3], 500, "internal_error")
    titles = sorted(a["title"] for a in await alerts(client, admin))
    assert titles == [f"ok-{i}" for i in range(5)]


async def test_a_bad_key_in_the_batch_is_refused_and_the_rest_stored(client, admin, am):
    bad = client.post(
        am.url, json=alertmanager(am_alert()), headers={"Authorization": "Bearer nope"}
    )
    good = post(client, am, alertmanager(am_alert(instance="a", summary="a")))
    refused, stored = await asyncio.gather(bad, good)
    assert_error(refused, 401)
    assert stored.status_code == 200
    assert len(await alerts(client, admin)) == 1


async def test_posts_of_two_organizations_in_one_batch_stay_apart(client, db, admin, am):
    other_admin = await make_actor(db)
    await make_service(db, other_admin.org, "api-gateway")
    theirs = await make_integration(db, other_admin.org, "alertmanager", name="theirs")
    payload = alertmanager(am_alert())
    ours_r, theirs_r = await asyncio.gather(
        post(client, am, payload), post(client, theirs, payload)
    )

    assert ours_r.json()["alerts"][0]["id"] != theirs_r.json()["alerts"][0]["id"]
    for actor, response in ((admin, ours_r), (other_admin, theirs_r)):
        [only] = await alerts(client, actor)
        assert only["id"] == response.json()["alerts"][0]["id"]
        [opened] = await incidents(client, actor)
        assert opened["short_id"] == response.json()["alerts"][0]["incident"]


async def test_two_imas_processes_posting_the_same_alert_make_one(settings, db, admin, am):
    """Two apps (two group commits, as two IMAS processes would have) share one database: the
    integration's row lock still makes their posts add up."""
    apps = [create_app(settings, db), create_app(settings, db)]
    payload = alertmanager(am_alert())
    async with client_for(apps[0]) as one, client_for(apps[1]) as two:
        responses = await asyncio.gather(
            *(post(http, am, payload) for _ in range(10) for http in (one, two))
        )
        received = [r.json()["alerts"][0] for r in responses]
        assert len({a["id"] for a in received}) == 1
        assert len({a["incident"] for a in received}) == 1
        [only] = await alerts(one, admin)
        assert only["occurrence_count"] == 20
    for app in apps:
        await app.state.intake.close()
    assert await counts(db) == (1, 1)
