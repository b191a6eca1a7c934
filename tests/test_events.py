"""Domain events: emitted inside the change's transaction, one delivery (and one job) per
listening subscription, gone with a rollback; every incident action emits its event with a
payload a receiver can act on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from imas.config import Settings
from imas.db import Database, acting_in
from imas.events import CATALOGUE, EventType, emit
from imas.incidents import service as incidents
from imas.jobs.models import Job
from imas.notify import service as notify
from imas.notify.models import WebhookDelivery
from imas.notify.schemas import SubscriptionCreate
from tests.incidents.factories import make_incident, make_service, make_team

ALL = [str(e) for e in EventType]


async def subscribe(db: Database, settings: Settings, org_id, events=ALL, **fields):
    async with db.transaction() as session:
        with acting_in(session, org_id):
            data = SubscriptionCreate(
                name="all", url="https://hooks.example.com/in", events=events, **fields
            )
            subscription, _ = await notify.create_subscription(
                session, data, settings.model_copy(update={"webhook_allow_private": True})
            )
    return subscription


async def rows(db: Database, org_id, model):
    async with db.read_sessions() as session:
        with acting_in(session, org_id):
            return list((await session.scalars(select(model))).all())


async def events_of(db: Database, org_id) -> list[tuple[str, dict]]:
    found = sorted(await rows(db, org_id, WebhookDelivery), key=lambda d: d.created_at)
    return [(d.event_type, d.payload["data"]) for d in found]


@pytest.fixture
async def service(db, admin):
    return await make_service(db, admin.org, "redis-prod")


class TestEmit:
    async def test_nothing_happens_without_a_listener_not_even_the_payload(self, db, admin):
        built = []

        async def data() -> dict:
            built.append(1)
            return {}

        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                event = await emit(session, EventType.ALERT_RECEIVED, data)
        assert await rows(db, admin.org.id, Job) == []
        if db.dialect == "postgresql":
            # The live stream listens to everything there: a WebSocket client of another IMAS
            # process may want it (imas.realtime.sink), so the payload is built once.
            assert built == [1]
        else:
            assert event is None
            assert built == []

    async def test_one_delivery_and_one_job_per_listening_subscription(self, db, settings, admin):
        first = await subscribe(db, settings, admin.org.id, max_retries=5)
        second = await subscribe(db, settings, admin.org.id, events=["ALERT_RECEIVED"])
        await subscribe(db, settings, admin.org.id, events=["INCIDENT_CREATED"])
        await subscribe(db, settings, admin.org.id, is_active=False)
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                event = await emit(session, EventType.ALERT_RECEIVED, {"alert": "disk full"})
        assert event is not None
        deliveries = await rows(db, admin.org.id, WebhookDelivery)
        assert {d.subscription_id for d in deliveries} == {first.id, second.id}
        assert {d.event_id for d in deliveries} == {event.id}
        jobs = {j.id: j for j in await rows(db, admin.org.id, Job)}
        assert {d.job_id for d in deliveries} == set(jobs)
        by_sub = {d.subscription_id: jobs[d.job_id] for d in deliveries if d.job_id}
        assert by_sub[first.id].max_attempts == 6
        assert by_sub[second.id].max_attempts == 4
        assert all(j.kind == "notify.webhook" for j in jobs.values())
        envelope = deliveries[0].payload
        assert envelope == {
            "event_id": str(event.id),
            "event_type": "ALERT_RECEIVED",
            "type": "ALERT_RECEIVED",
            "event": "ALERT_RECEIVED",
            "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
            "data": {"alert": "disk full"},
        }

    async def test_another_orgs_subscriptions_hear_nothing(self, db, settings, admin, outsider):
        await subscribe(db, settings, outsider.org.id)
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                await emit(session, EventType.ALERT_RECEIVED, {})
        assert await rows(db, outsider.org.id, WebhookDelivery) == []

    async def test_a_rolled_back_change_emits_nothing(self, db, settings, admin):
        await subscribe(db, settings, admin.org.id)

        async def change_that_fails() -> None:
            async with db.transaction() as session:
                with acting_in(session, admin.org.id):
                    assert await emit(session, EventType.ALERT_RECEIVED, {}) is not None
                    raise RuntimeError("the change failed after emitting")

        with pytest.raises(RuntimeError):
            await change_that_fails()
        assert await rows(db, admin.org.id, WebhookDelivery) == []
        assert await rows(db, admin.org.id, Job) == []

    def test_the_catalogue_names_every_event_once(self):
        assert [info.name for info in CATALOGUE] == list(EventType)


class TestIncidentEvents:
    async def test_create_sends_the_incident(self, db, settings, admin, service):
        await subscribe(db, settings, admin.org.id)
        incident = await make_incident(
            db, admin.org, admin.user, service, title="Redis down", severity="SEV1_CRITICAL"
        )
        [(kind, data)] = await events_of(db, admin.org.id)
        assert kind == "INCIDENT_CREATED"
        assert data["incident_id"] == data["id"] == str(incident.id)
        assert data["short_id"] == incident.short_id
        assert data["title"] == "Redis down"
        assert data["severity"] == "SEV1_CRITICAL"
        assert data["status"] == "TRIGGERED"
        assert data["service"] == {"id": str(service.id), "name": "redis-prod"}
        assert data["lead"]["username"] == admin.user.username
        assert data["actor"]["username"] == admin.user.username
        assert data["created_at"].endswith("Z")
        assert data["url"] == f"/api/v1/incidents/{incident.id}/"
        assert data["changes"] == {}

    async def test_every_lifecycle_action_emits_its_event(self, db, settings, admin, service):
        incident = await make_incident(db, admin.org, admin.user, service)
        await subscribe(db, settings, admin.org.id)
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                await incidents.acknowledge(session, incident.id, admin.user)
                await incidents.mitigate(session, incident.id, admin.user)
                await incidents.resolve(session, incident.id, admin.user, "restarted", "OOM")
                await incidents.reopen(session, incident.id, admin.user)
        emitted = await events_of(db, admin.org.id)
        assert [(k, d["changes"]["status"]) for k, d in emitted] == [
            ("INCIDENT_ACKNOWLEDGED", {"from": "TRIGGERED", "to": "ACKNOWLEDGED"}),
            ("INCIDENT_MITIGATED", {"from": "ACKNOWLEDGED", "to": "MITIGATED"}),
            ("INCIDENT_RESOLVED", {"from": "MITIGATED", "to": "RESOLVED"}),
            ("INCIDENT_REOPENED", {"from": "RESOLVED", "to": "TRIGGERED"}),
        ]
        resolved = emitted[2][1]
        assert resolved["resolved_at"] is not None
        assert (resolved["resolution_note"], resolved["root_cause"]) == ("restarted", "OOM")

    async def test_mitigating_a_triggered_incident_also_tells_it_was_acknowledged(
        self, db, settings, admin, service
    ):
        incident = await make_incident(db, admin.org, admin.user, service)
        await subscribe(db, settings, admin.org.id)
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                await incidents.mitigate(session, incident.id, admin.user)
        kinds = [k for k, _ in await events_of(db, admin.org.id)]
        assert kinds == ["INCIDENT_ACKNOWLEDGED", "INCIDENT_MITIGATED"]

    async def test_field_changes_and_assignment_are_separate_events(
        self, client, db, settings, admin, service
    ):
        incident = await make_incident(db, admin.org, admin.user, service, title="Slow API")
        team = await make_team(db, admin.org, "SRE Core")
        await subscribe(db, settings, admin.org.id)
        response = await client.patch(
            f"/api/v1/incidents/{incident.short_id}/",
            headers=admin.headers,
            json={
                "title": "Very slow API",
                "severity": "SEV2_HIGH",
                "assigned_team": str(team.id),
                "assigned_user": str(admin.user.id),
            },
        )
        assert response.status_code == 200, response.text
        emitted = dict(await events_of(db, admin.org.id))
        assert set(emitted) == {"INCIDENT_UPDATED", "INCIDENT_ASSIGNED"}
        assert emitted["INCIDENT_UPDATED"]["changes"] == {
            "title": {"from": "Slow API", "to": "Very slow API"},
            "severity": {"from": "SEV3_MEDIUM", "to": "SEV2_HIGH"},
        }
        assigned = emitted["INCIDENT_ASSIGNED"]
        assert assigned["changes"] == {
            "assigned_team": {"from": None, "to": str(team.id)},
            "assigned_user": {"from": None, "to": str(admin.user.id)},
        }
        assert assigned["assigned_team"] == {"id": str(team.id), "name": "SRE Core"}
        assert assigned["assigned_user"]["username"] == admin.user.username
        assert assigned["actor"]["username"] == admin.user.username

    async def test_a_status_patch_emits_the_lifecycle_event_only(
        self, client, db, settings, admin, service
    ):
        incident = await make_incident(db, admin.org, admin.user, service)
        await subscribe(db, settings, admin.org.id)
        await client.patch(
            f"/api/v1/incidents/{incident.id}/",
            headers=admin.headers,
            json={"status": "ACKNOWLEDGED"},
        )
        assert [k for k, _ in await events_of(db, admin.org.id)] == ["INCIDENT_ACKNOWLEDGED"]

    async def test_a_patch_that_changes_nothing_emits_nothing(
        self, client, db, settings, admin, service
    ):
        incident = await make_incident(db, admin.org, admin.user, service, title="Same")
        await subscribe(db, settings, admin.org.id)
        await client.patch(
            f"/api/v1/incidents/{incident.id}/", headers=admin.headers, json={"title": "Same"}
        )
        assert await events_of(db, admin.org.id) == []

    async def test_tags_are_updates(self, client, db, settings, admin, service):
        incident = await make_incident(db, admin.org, admin.user, service, tags=["redis"])
        await subscribe(db, settings, admin.org.id)
        await client.post(
            f"/api/v1/incidents/{incident.id}/tags/", headers=admin.headers, json={"tags": ["db"]}
        )
        await client.delete(f"/api/v1/incidents/{incident.id}/tags/redis/", headers=admin.headers)
        emitted = await events_of(db, admin.org.id)
        assert [(k, d["changes"]["tags"]) for k, d in emitted] == [
            ("INCIDENT_UPDATED", {"from": ["redis"], "to": ["db", "redis"]}),
            ("INCIDENT_UPDATED", {"from": ["db", "redis"], "to": ["db"]}),
        ]
        assert emitted[-1][1]["tags"] == ["db"]

    async def test_delete_sends_the_incident_as_it_was(self, client, db, settings, admin, service):
        incident = await make_incident(db, admin.org, admin.user, service, title="Gone soon")
        await subscribe(db, settings, admin.org.id)
        response = await client.delete(f"/api/v1/incidents/{incident.id}/", headers=admin.headers)
        assert response.status_code == 200, response.text
        [(kind, data)] = await events_of(db, admin.org.id)
        assert kind == "INCIDENT_DELETED"
        assert (data["id"], data["title"]) == (str(incident.id), "Gone soon")
        assert data["actor"]["username"] == admin.user.username

    async def test_only_the_events_subscribed_to_are_delivered(self, db, settings, admin, service):
        await subscribe(db, settings, admin.org.id, events=["INCIDENT_RESOLVED"])
        incident = await make_incident(db, admin.org, admin.user, service)
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                await incidents.acknowledge(session, incident.id, admin.user)
                await incidents.resolve(session, incident.id, admin.user)
        assert [k for k, _ in await events_of(db, admin.org.id)] == ["INCIDENT_RESOLVED"]


class TestRolledBackActionsEmitNothing:
    async def test_an_action_in_a_failed_transaction(self, db, settings, admin, service):
        incident = await make_incident(db, admin.org, admin.user, service)
        await subscribe(db, settings, admin.org.id)

        async def acknowledge_then_fail() -> None:
            async with db.transaction() as session:
                with acting_in(session, admin.org.id):
                    await incidents.acknowledge(session, incident.id, admin.user)
                    raise RuntimeError("something after the acknowledgement failed")

        with pytest.raises(RuntimeError):
            await acknowledge_then_fail()
        assert await rows(db, admin.org.id, WebhookDelivery) == []
        assert await rows(db, admin.org.id, Job) == []

    async def test_a_refused_request(self, client, db, settings, admin, service):
        await make_incident(db, admin.org, admin.user, service, title="Taken")
        other = await make_incident(db, admin.org, admin.user, service, title="Other")
        await subscribe(db, settings, admin.org.id)
        response = await client.patch(
            f"/api/v1/incidents/{other.id}/",
            headers=admin.headers,
            json={"title": "Taken", "severity": "SEV1_CRITICAL"},
        )
        assert response.status_code == 409
        assert await rows(db, admin.org.id, WebhookDelivery) == []

    async def test_a_reopen_that_conflicts(self, client, db, settings, admin, service):
        first = await make_incident(db, admin.org, admin.user, service, title="Flapping")
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                await incidents.resolve(session, first.id, admin.user)
        await make_incident(db, admin.org, admin.user, service, title="Flapping")
        await subscribe(db, settings, admin.org.id)
        response = await client.post(f"/api/v1/incidents/{first.id}/reopen/", headers=admin.headers)
        assert response.status_code == 409, response.text
        assert await rows(db, admin.org.id, WebhookDelivery) == []
        assert await rows(db, admin.org.id, Job) == []
