"""TRIGGERED -> ACKNOWLEDGED -> MITIGATED -> RESOLVED, reopen, KPIs, and concurrent actions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from imas.db import Database
from imas.incidents.models import Incident
from imas.incidents.presenters import kpis
from tests.helpers import assert_error
from tests.incidents.factories import make_incident


async def act(client, actor, incident, action: str, **body):
    return await client.post(
        f"/api/v1/incidents/{incident.short_id}/{action}/", headers=actor.headers, json=body or None
    )


async def detail(client, actor, incident) -> dict:
    return (await client.get(f"/api/v1/incidents/{incident.id}/", headers=actor.headers)).json()


class TestTransitions:
    async def test_full_lifecycle_leaves_a_status_trail(self, client, admin, db, redis):
        incident = await make_incident(db, admin.org, admin.user, redis)
        for action, status in (
            ("acknowledge", "ACKNOWLEDGED"),
            ("mitigate", "MITIGATED"),
            ("resolve", "RESOLVED"),
        ):
            response = await act(client, admin, incident, action)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == status
        body = await detail(client, admin, incident)
        moves = [
            (e["data"].get("from_status"), e["data"].get("to_status"))
            for e in body["timeline"]
            if e["type"] == "STATUS_CHANGE"
        ][1:]
        assert moves == [
            ("TRIGGERED", "ACKNOWLEDGED"),
            ("ACKNOWLEDGED", "MITIGATED"),
            ("MITIGATED", "RESOLVED"),
        ]
        assert all(e["actor"]["username"] == admin.user.username for e in body["timeline"])

    async def test_mitigating_a_triggered_incident_acknowledges_it(self, client, admin, db, redis):
        incident = await make_incident(db, admin.org, admin.user, redis)
        await act(client, admin, incident, "mitigate")
        body = await detail(client, admin, incident)
        assert body["acknowledged_at"] == body["mitigated_at"]
        assert body["acknowledged_by"]["id"] == str(admin.user.id)

    @pytest.mark.parametrize(
        ("setup", "action", "explains"),
        [
            (["acknowledge"], "acknowledge", "already ACKNOWLEDGED"),
            (["resolve"], "acknowledge", "Reopen it first"),
            (["resolve"], "resolve", "already RESOLVED"),
            (["resolve"], "mitigate", "Reopen it first"),
            ([], "reopen", "only an incident that is RESOLVED can be reopened"),
            (["mitigate"], "acknowledge", "is MITIGATED"),
        ],
    )
    async def test_impossible_transitions_are_409_and_say_why(
        self, client, admin, db, redis, setup, action, explains
    ):
        incident = await make_incident(db, admin.org, admin.user, redis)
        for step in setup:
            assert (await act(client, admin, incident, step)).status_code == 200
        before = await detail(client, admin, incident)
        response = await act(client, admin, incident, action)
        body = assert_error(response, 409, "invalid_transition")
        assert explains in body["message"]
        assert body["details"]["current_status"] == before["status"]
        assert await detail(client, admin, incident) == before  # nothing changed

    async def test_reopen_clears_the_cycle_and_keeps_the_history(self, client, admin, db, redis):
        incident = await make_incident(db, admin.org, admin.user, redis)
        await act(client, admin, incident, "acknowledge")
        await act(client, admin, incident, "resolve", resolution_note="restarted")
        response = await act(client, admin, incident, "reopen", message="it came back")
        assert response.json()["status"] == "TRIGGERED"
        body = await detail(client, admin, incident)
        assert body["resolved_at"] is None
        assert body["acknowledged_at"] is None
        assert body["kpis"]["mtta_seconds"] is None
        assert body["kpis"]["mttr_seconds"] is None
        assert body["timeline"][-1]["message"] == f"Reopened by {admin.user.username}: it came back"
        assert len(body["timeline"]) == 4

    async def test_patch_status_goes_through_the_same_rules(self, client, admin, db, redis):
        incident = await make_incident(db, admin.org, admin.user, redis)
        url = f"/api/v1/incidents/{incident.id}/"
        response = await client.patch(url, headers=admin.headers, json={"status": "ACKNOWLEDGED"})
        assert response.json()["status"] == "ACKNOWLEDGED"
        assert response.json()["acknowledged_at"] is not None
        await client.patch(url, headers=admin.headers, json={"status": "RESOLVED"})
        response = await client.patch(url, headers=admin.headers, json={"status": "MITIGATED"})
        assert_error(response, 409, "invalid_transition")


SEED_DETECTED = datetime(2026, 2, 5, 18, 25, tzinfo=UTC)
SEED_CREATED = datetime(2026, 2, 5, 18, 30, tzinfo=UTC)
SEED_ACKED = datetime(2026, 2, 5, 18, 35, tzinfo=UTC)
SEED_RESOLVED = datetime(2026, 2, 5, 19, 0, tzinfo=UTC)


class TestKpis:
    def test_seed_example_arithmetic(self):
        incident = Incident(
            detected_at=SEED_DETECTED,
            created_at=SEED_CREATED,
            acknowledged_at=SEED_ACKED,
            resolved_at=SEED_RESOLVED,
        )
        assert kpis(incident).model_dump() == {
            "mttd_seconds": 300,
            "mtta_seconds": 300,
            "mttr_seconds": 1800,
        }

    def test_unknown_until_it_happens(self):
        incident = Incident(detected_at=SEED_DETECTED, created_at=SEED_CREATED)
        assert kpis(incident).model_dump() == {
            "mttd_seconds": 300,
            "mtta_seconds": None,
            "mttr_seconds": None,
        }

    async def test_seed_times_through_the_api(self, client, admin, db: Database, redis):
        incident = await make_incident(db, admin.org, admin.user, redis, detected_at=SEED_DETECTED)
        async with db.transaction() as session:
            await session.execute(
                update(Incident)
                .where(Incident.id == incident.id)
                .values(
                    created_at=SEED_CREATED,
                    acknowledged_at=SEED_ACKED,
                    resolved_at=SEED_RESOLVED,
                    status="RESOLVED",
                )
                .execution_options(all_orgs=True)
            )
        body = await detail(client, admin, incident)
        assert body["kpis"] == {"mttd_seconds": 300, "mtta_seconds": 300, "mttr_seconds": 1800}

    async def test_detected_at_without_offset_is_utc(self, client, admin, redis):
        response = await client.post(
            "/api/v1/incidents/",
            headers=admin.headers,
            json={"title": "Naive", "service": str(redis.id), "detected_at": "2026-02-05T18:25:00"},
        )
        assert response.status_code == 201, response.text
        assert response.json()["detected_at"] == "2026-02-05T18:25:00Z"

    async def test_detected_in_the_future_is_refused(self, client, admin, redis):
        response = await client.post(
            "/api/v1/incidents/",
            headers=admin.headers,
            json={
                "title": "Time travel",
                "service": str(redis.id),
                "detected_at": "2999-01-01T00:00:00Z",
            },
        )
        body = assert_error(response, 400, "validation_error")
        assert "detected_at" in body["details"]


class TestConcurrency:
    async def test_simultaneous_acknowledges_leave_one_acknowledgement(
        self, client, db, admin, redis
    ):
        from tests.factories import make_actor

        responders = [await make_actor(db, org=admin.org, role="responder") for _ in range(6)]
        incident = await make_incident(db, admin.org, admin.user, redis)
        responses = await asyncio.gather(
            *(act(client, r, incident, "acknowledge") for r in responders)
        )
        codes = sorted(r.status_code for r in responses)
        assert codes == [200, 409, 409, 409, 409, 409]
        [winner] = [r.json() for r in responses if r.status_code == 200]
        body = await detail(client, admin, incident)
        assert body["status"] == "ACKNOWLEDGED"
        assert body["acknowledged_at"] == winner["acknowledged_at"]
        assert body["acknowledged_by"]["id"] == winner["acknowledged_by"]["id"]
        acks = [e for e in body["timeline"] if e["data"].get("to_status") == "ACKNOWLEDGED"]
        assert len(acks) == 1
        assert acks[0]["actor"]["id"] == winner["acknowledged_by"]["id"]

    async def test_simultaneous_duplicate_creates_open_one_incident(self, client, admin, redis):
        payload = {"title": "Checkout down", "service": str(redis.id)}
        responses = await asyncio.gather(
            *(
                client.post("/api/v1/incidents/", headers=admin.headers, json=payload)
                for _ in range(5)
            )
        )
        codes = sorted(r.status_code for r in responses)
        assert codes == [201, 409, 409, 409, 409]
        [created] = [r.json() for r in responses if r.status_code == 201]
        for refused in (r.json() for r in responses if r.status_code == 409):
            assert refused["error"] == "Incident already exists"
            assert refused["details"]["incident_id"] == created["id"]
        listed = await client.get("/api/v1/incidents/?search=Checkout", headers=admin.headers)
        assert listed.json()["count"] == 1
