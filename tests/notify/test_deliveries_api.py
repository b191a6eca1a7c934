"""`/{id}/deliveries/` and `/{id}/stats/`: what was sent, how it went, in seed 001's terms."""

from __future__ import annotations

import pytest

from imas.db import acting_in
from imas.incidents import service as incidents
from tests.incidents.factories import make_incident, make_service
from tests.notify.conftest import deliveries, run_worker
from tests.notify.receivers import Receiver

BASE = "/api/v1/webhook-subscriptions"
EVENTS = ["INCIDENT_CREATED", "INCIDENT_RESOLVED"]


@pytest.fixture
async def service(db, admin):
    return await make_service(db, admin.org, "redis-prod")


@pytest.fixture
async def history(db, notify_settings, admin, subscribe, service, fast_retries):
    """Three deliveries made one at a time - 200, 503 (dead: no retries), 200 - then one
    pending."""
    receiver = await Receiver(statuses=[200, 503, 200]).start()
    try:
        created = await subscribe(receiver.url, events=EVENTS, max_retries=0)
        first = await make_incident(db, admin.org, admin.user, service, title="A")
        await make_incident(db, admin.org, admin.user, service, title="B")
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                await incidents.resolve(session, first.id, admin.user)

        async def three_settled() -> bool:
            rows = await deliveries(db, admin.org.id)
            return sum(d.status in ("success", "dead") for d in rows) == 3

        await run_worker(db, notify_settings, three_settled, concurrency=1)
    finally:
        await receiver.stop()
    await make_incident(db, admin.org, admin.user, service, title="C")
    return created


async def get(client, actor, path: str) -> dict:
    response = await client.get(f"{BASE}/{path}", headers=actor.headers)
    assert response.status_code == 200, response.text
    return response.json()


class TestDeliveries:
    async def test_newest_first_with_the_seeds_fields(self, client, admin, history):
        page = await get(client, admin, f"{history['id']}/deliveries/")
        assert page["count"] == 4
        statuses = [d["status"] for d in page["results"]]
        assert statuses == ["pending", "success", "dead", "success"]
        pending, resolved, dead, _ = page["results"]
        for key in (
            "id",
            "subscription_id",
            "event_type",
            "status",
            "attempts",
            "last_attempt_at",
            "next_retry_at",
            "response_status",
            "error_message",
            "created_at",
        ):
            assert key in dead
        assert dead["subscription_id"] == history["id"]
        assert (dead["attempts"], dead["response_status"]) == (1, 503)
        assert dead["error_message"] == "HTTP 503 (a 2xx answer was expected)"
        assert [a["response_status"] for a in dead["attempt_log"]] == [503]
        assert resolved["event_type"] == "INCIDENT_RESOLVED"
        assert resolved["response_status"] == 200
        assert resolved["payload"]["event_type"] == "INCIDENT_RESOLVED"
        assert (pending["attempts"], pending["last_attempt_at"]) == (0, None)
        assert pending["attempt_log"] == []

    async def test_the_seeds_status_and_limit_filters(self, client, admin, history):
        dead = await get(client, admin, f"{history['id']}/deliveries/?status=dead&limit=50")
        assert [d["status"] for d in dead["results"]] == ["dead"]
        ok = await get(client, admin, f"{history['id']}/deliveries/?status=success")
        assert ok["count"] == 2
        one = await get(client, admin, f"{history['id']}/deliveries/?limit=1")
        assert (one["count"], len(one["results"])) == (4, 1)
        assert one["next"] is not None
        resolved = await get(
            client, admin, f"{history['id']}/deliveries/?event_type=INCIDENT_RESOLVED"
        )
        assert resolved["count"] == 1

    async def test_a_failed_delivery_says_when_it_is_retried(
        self, client, db, notify_settings, admin, subscribe, service
    ):
        receiver = await Receiver(status=500).start()
        try:
            created = await subscribe(receiver.url, max_retries=3)
            await make_incident(db, admin.org, admin.user, service)

            async def tried_once() -> bool:
                [d] = await deliveries(db, admin.org.id)
                return d.attempts == 1

            await run_worker(db, notify_settings, tried_once)
        finally:
            await receiver.stop()
        [failed] = (await get(client, admin, f"{created['id']}/deliveries/"))["results"]
        assert failed["status"] == "failed"
        assert failed["next_retry_at"] is not None
        assert failed["next_retry_at"] > failed["last_attempt_at"]


class TestStats:
    async def test_counts_rates_times_and_types(self, client, admin, history):
        stats = await get(client, admin, f"{history['id']}/stats/")
        assert stats["subscription_id"] == history["id"]
        assert stats["total_deliveries"] == 4
        assert stats["successful_deliveries"] == 2
        assert stats["failed_deliveries"] == 1
        assert stats["dead_deliveries"] == 1
        assert stats["pending_deliveries"] == 1
        assert stats["success_rate"] == 0.667
        assert isinstance(stats["average_response_time"], int)
        assert stats["last_delivery_at"].endswith("Z")
        assert stats["events_by_type"] == {"INCIDENT_CREATED": 3, "INCIDENT_RESOLVED": 1}

    async def test_a_new_subscription_has_empty_stats(self, client, admin, subscribe):
        created = await subscribe("https://hooks.example.com/in")
        stats = await get(client, admin, f"{created['id']}/stats/")
        assert stats == {
            "subscription_id": created["id"],
            "total_deliveries": 0,
            "successful_deliveries": 0,
            "failed_deliveries": 0,
            "pending_deliveries": 0,
            "dead_deliveries": 0,
            "success_rate": None,
            "average_response_time": None,
            "last_delivery_at": None,
            "events_by_type": {},
        }

    async def test_another_subscriptions_deliveries_do_not_count(
        self, client, admin, subscribe, history
    ):
        other = await subscribe("https://hooks.example.com/other", events=["INCIDENT_UPDATED"])
        stats = await get(client, admin, f"{other['id']}/stats/")
        assert stats["total_deliveries"] == 0
        page = await get(client, admin, f"{other['id']}/deliveries/")
        assert page["count"] == 0
