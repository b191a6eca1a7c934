"""Deliveries to real receivers on 127.0.0.1: the envelope, both signatures (the seed's own
`verify_signature` among the checks), retries until a receiver answers, dead after the last
attempt with every attempt recorded, idempotent re-runs, and the SSRF guard at delivery time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from sqlalchemy import select

import imas.notify.jobs as jobs_module
from imas.db import acting_in
from imas.jobs.models import Job, JobStatus
from imas.jobs.registry import JobContext
from imas.notify import recording
from imas.notify.jobs import deliver
from imas.notify.models import DeliveryStatus
from tests.incidents.factories import make_incident, make_service
from tests.notify.conftest import deliver_all, deliveries, run_worker
from tests.notify.receivers import Receiver, Silent, free_port

# --- seeds/incident-management-system-api.md, "Example 3: Webhook Integration", verbatim ---
WEBHOOK_SECRET = "webhook-secret-abc123"  # fmt: skip  (set to the real secret by the test)


# fmt: off
def verify_signature(payload, signature):
    expected = hmac.new(
        WEBHOOK_SECRET.encode(),
        payload,
        hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(f'sha256={expected}', signature)
# fmt: on
# ---


def verify_standard_webhooks(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The Standard Webhooks check, written from the specification."""
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(timestamp)) > 300:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(sig.partition(",")[2], expected)
        for sig in headers["webhook-signature"].split(" ")
        if sig.startswith("v1,")
    )


@pytest.fixture
async def service(db, admin):
    return await make_service(db, admin.org, "redis-prod")


async def one_delivered(db, notify_settings, admin, receiver, subscribe, service, **fields):
    created = await subscribe(receiver.url, **fields)
    incident = await make_incident(db, admin.org, admin.user, service, title="Redis down")
    [delivery] = await deliver_all(db, notify_settings, admin.org.id)
    return created, incident, delivery


class TestDelivered:
    async def test_the_envelope_reaches_the_receiver_signed_both_ways(
        self, db, notify_settings, admin, receiver, subscribe, service
    ):
        created, incident, delivery = await one_delivered(
            db, notify_settings, admin, receiver, subscribe, service
        )
        assert delivery.status == DeliveryStatus.SUCCESS
        [got] = receiver.received
        body = json.loads(got.body)
        assert list(body) == ["event_id", "event_type", "type", "event", "timestamp", "data"]
        assert body["event_type"] == body["type"] == body["event"] == "INCIDENT_CREATED"
        assert body["event_id"] == str(delivery.event_id) == got.headers["webhook-id"]
        assert body["timestamp"].endswith("Z")
        assert body["data"]["incident_id"] == str(incident.id)
        assert body["data"]["short_id"] == incident.short_id
        assert body["data"]["service"]["name"] == "redis-prod"
        secret = created["secret"]
        digest = hmac.new(secret.encode(), got.body, hashlib.sha256).hexdigest()
        assert got.headers["x-signature-256"] == f"sha256={digest}"
        assert got.headers["x-webhook-signature"] == f"sha256={digest}"
        assert got.headers["x-etl-signature"] == digest
        assert verify_standard_webhooks(secret, got.headers, got.body)
        assert got.headers["content-type"] == "application/json"
        assert got.headers["x-imas-delivery"] == str(delivery.id)
        assert got.headers["x-imas-event"] == "INCIDENT_CREATED"

    async def test_the_seeds_verify_signature_accepts_it_and_rejects_a_tampered_body(
        self, db, notify_settings, admin, receiver, subscribe, service
    ):
        global WEBHOOK_SECRET
        created, _, _ = await one_delivered(
            db, notify_settings, admin, receiver, subscribe, service
        )
        [got] = receiver.received
        WEBHOOK_SECRET = created["secret"]
        try:
            signature = got.headers["x-signature-256"]
            assert verify_signature(got.body, signature)
            tampered = got.body.replace(b'"Redis down"', b'"Redis fine"')
            assert tampered != got.body
            assert not verify_signature(tampered, signature)
            WEBHOOK_SECRET = "another-secret"
            assert not verify_signature(got.body, signature)
        finally:
            WEBHOOK_SECRET = "webhook-secret-abc123"

    async def test_the_standard_webhooks_library_verifies_it(
        self, db, notify_settings, admin, receiver, subscribe, service
    ):
        standardwebhooks = pytest.importorskip("standardwebhooks")
        created, _, _ = await one_delivered(
            db, notify_settings, admin, receiver, subscribe, service
        )
        [got] = receiver.received
        hook = standardwebhooks.Webhook(created["secret"])
        assert hook.verify(got.body, got.headers)["event_type"] == "INCIDENT_CREATED"
        tampered = got.body.replace(b'"Redis down"', b'"Redis fine"')
        with pytest.raises(standardwebhooks.WebhookVerificationError):
            hook.verify(tampered, got.headers)

    async def test_a_name_is_resolved_once_and_its_checked_address_used(
        self, db, notify_settings, admin, receiver, subscribe, service
    ):
        """`localhost` may resolve to ::1 first, where nothing listens: the next address is
        tried; the request goes to the address checked, with the name as its Host."""
        by_name = receiver.url.replace("127.0.0.1", "localhost")
        created = await subscribe(by_name)
        await make_incident(db, admin.org, admin.user, service)
        [delivery] = await deliver_all(db, notify_settings, admin.org.id)
        assert delivery.status == DeliveryStatus.SUCCESS
        [got] = receiver.received
        assert got.headers["host"] == f"localhost:{receiver.port}"
        assert verify_standard_webhooks(created["secret"], got.headers, got.body)

    async def test_custom_headers_are_sent(
        self, db, notify_settings, admin, receiver, subscribe, service
    ):
        await one_delivered(
            db,
            notify_settings,
            admin,
            receiver,
            subscribe,
            service,
            headers={"X-API-Key": "your-api-key", "Content-Type": "application/json"},
        )
        [got] = receiver.received
        assert got.headers["x-api-key"] == "your-api-key"
        assert got.headers["content-type"] == "application/json"

    async def test_the_attempt_is_recorded(
        self, db, notify_settings, admin, receiver, subscribe, service
    ):
        _, _, delivery = await one_delivered(
            db, notify_settings, admin, receiver, subscribe, service
        )
        assert delivery.attempts == 1
        assert delivery.response_code == 200
        assert delivery.response_body == '{"status":"processed"}'
        assert delivery.error is None
        assert delivery.duration_ms is not None
        assert delivery.delivered_at is not None
        [attempt] = delivery.attempt_log
        assert (attempt.number, attempt.outcome, attempt.response_code) == (1, "success", 200)


class TestIdempotent:
    async def test_a_job_that_runs_again_does_not_send_again(
        self, db, notify_settings, admin, receiver, subscribe, service
    ):
        _, _, delivery = await one_delivered(
            db, notify_settings, admin, receiver, subscribe, service
        )
        context = JobContext(
            db=db,
            settings=notify_settings,
            job_id=uuid.uuid4(),
            organization_id=admin.org.id,
            attempt=2,
            max_attempts=4,
        )
        await deliver(context, {"delivery_id": str(delivery.id)})
        assert len(receiver.received) == 1
        [again] = await deliveries(db, admin.org.id)
        assert again.attempts == 1
        assert len(again.attempt_log) == 1

    async def test_a_late_duplicate_never_makes_a_second_success(
        self, db, notify_settings, admin, receiver, subscribe, service, monkeypatch
    ):
        """Two runs that both send (both read the delivery before either recorded it): the
        event still counts as delivered once, and both attempts are on record."""
        await subscribe(receiver.url)
        await make_incident(db, admin.org, admin.user, service)
        [pending] = await deliveries(db, admin.org.id)
        real_load = jobs_module._load

        async def stale_load(ctx, delivery_id):
            work = await real_load(ctx, delivery_id)
            return jobs_module._Work(pending, work.subscription)

        monkeypatch.setattr(jobs_module, "_load", stale_load)
        for attempt in (1, 2):
            context = JobContext(
                db=db,
                settings=notify_settings,
                job_id=uuid.uuid4(),
                organization_id=admin.org.id,
                attempt=attempt,
                max_attempts=4,
            )
            await deliver(context, {"delivery_id": str(pending.id)})
        [done] = await deliveries(db, admin.org.id)
        assert done.status == DeliveryStatus.SUCCESS
        assert done.attempts == 1
        assert [a.outcome for a in done.attempt_log] == ["success", "success"]
        assert len(receiver.received) == 2


class TestRetries:
    async def test_a_receiver_down_at_first_gets_the_event_once_it_answers(
        self, db, notify_settings, admin, subscribe, service, monkeypatch
    ):
        from imas.jobs import store

        monkeypatch.setattr(store, "BACKOFF_BASE_SECONDS", 0.15)
        port = free_port()
        late = Receiver(port=port)
        await subscribe(late.url, max_retries=10)
        await make_incident(db, admin.org, admin.user, service)

        async def two_failed_attempts() -> bool:
            [d] = await deliveries(db, admin.org.id)
            return d.attempts >= 2

        await run_worker(db, notify_settings, two_failed_attempts)
        [down] = await deliveries(db, admin.org.id)
        assert down.status == DeliveryStatus.FAILED
        assert all("cannot connect" in a.error for a in down.attempt_log)
        await late.start()
        try:
            [done] = await deliver_all(db, notify_settings, admin.org.id)
        finally:
            await late.stop()
        assert done.status == DeliveryStatus.SUCCESS
        assert len(late.received) == 1
        assert done.attempts == len(done.attempt_log) >= 3
        outcomes = [a.outcome for a in done.attempt_log]
        assert outcomes[-1] == "success"
        assert set(outcomes[:-1]) == {"failed"}
        assert [a.number for a in done.attempt_log] == list(range(1, done.attempts + 1))

    async def test_error_answers_are_retried_with_their_codes_recorded(
        self, db, notify_settings, admin, subscribe, service, fast_retries
    ):
        flaky = await Receiver(statuses=[500, 429]).start()
        try:
            await subscribe(flaky.url, max_retries=3)
            await make_incident(db, admin.org, admin.user, service)
            [done] = await deliver_all(db, notify_settings, admin.org.id)
        finally:
            await flaky.stop()
        assert done.status == DeliveryStatus.SUCCESS
        assert [a.response_code for a in done.attempt_log] == [500, 429, 200]
        assert done.attempt_log[0].error == "HTTP 500 (a 2xx answer was expected)"
        assert len({r.headers["webhook-id"] for r in flaky.received}) == 1

    async def test_a_receiver_that_never_answers_ends_dead_with_its_attempts(
        self, db, notify_settings, admin, subscribe, service, fast_retries
    ):
        silent = await Silent().start()
        try:
            await subscribe(silent.url, timeout_seconds=1, max_retries=1)
            await make_incident(db, admin.org, admin.user, service)
            [dead] = await deliver_all(db, notify_settings, admin.org.id)
        finally:
            await silent.stop()
        assert dead.status == DeliveryStatus.DEAD
        assert dead.attempts == 2
        assert [a.error for a in dead.attempt_log] == ["timed out after 1 s"] * 2
        assert all(900 <= a.duration_ms < 3000 for a in dead.attempt_log)
        assert silent.connections == 2
        job = await job_of(db, admin.org.id, dead.job_id)
        assert (job.status, job.attempts) == (JobStatus.DEAD, 2)

    async def test_a_receiver_failing_every_time_is_dead_after_max_retries_plus_one(
        self, db, notify_settings, admin, subscribe, service, fast_retries
    ):
        broken = await Receiver(status=503).start()
        try:
            await subscribe(broken.url, max_retries=2)
            await make_incident(db, admin.org, admin.user, service)
            [dead] = await deliver_all(db, notify_settings, admin.org.id)
        finally:
            await broken.stop()
        assert dead.status == DeliveryStatus.DEAD
        assert [a.response_code for a in dead.attempt_log] == [503, 503, 503]
        assert len(broken.received) == 3

    async def test_nothing_listening_is_dead_after_its_attempts(
        self, db, notify_settings, admin, subscribe, service, fast_retries
    ):
        await subscribe(f"http://127.0.0.1:{free_port()}/hook", max_retries=1)
        await make_incident(db, admin.org, admin.user, service)
        [dead] = await deliver_all(db, notify_settings, admin.org.id)
        assert dead.status == DeliveryStatus.DEAD
        assert len(dead.attempt_log) == 2


class TestTogether:
    async def test_deliveries_that_finish_together_are_recorded_together_each_in_full(
        self, db, notify_settings, admin, subscribe, service, monkeypatch
    ):
        """One transaction for the successes of concurrent deliveries (group commit): each
        still has its own success, attempt and completed job."""
        batches: list[int] = []
        real = recording.record_successes

        async def counted(database, successes):
            batches.append(len(successes))
            return await real(database, successes)

        monkeypatch.setattr(recording, "record_successes", counted)
        receiver = await Receiver(delay=0.05).start()  # answers arrive together
        try:
            await subscribe(receiver.url)
            for n in range(12):
                await make_incident(db, admin.org, admin.user, service, title=f"#{n}")
            done = await deliver_all(db, notify_settings, admin.org.id, count=12, concurrency=6)
        finally:
            await receiver.stop()
        assert {d.status for d in done} == {DeliveryStatus.SUCCESS}
        assert all([a.outcome for a in d.attempt_log] == ["success"] for d in done)
        assert sorted(receiver.event_ids().values()) == [1] * 12
        assert sum(batches) == 12
        assert max(batches) > 1
        async with db.read_sessions() as session:
            with acting_in(session, admin.org.id):
                jobs = (await session.scalars(select(Job))).all()
        assert {(j.status, j.lease_owner) for j in jobs} == {(JobStatus.SUCCEEDED, None)}


async def job_of(db, org_id, job_id) -> Job:
    async with db.read_sessions() as session:
        with acting_in(session, org_id):
            return (await session.scalars(select(Job).where(Job.id == job_id))).one()


class TestRefused:
    async def test_a_private_address_at_delivery_time_is_dead_at_once(
        self, db, settings, notify_settings, admin, receiver, subscribe, service
    ):
        """Allowed when the subscription was saved; not when the worker runs (as when DNS
        changed since): nothing is sent."""
        await subscribe(receiver.url, max_retries=5)
        await make_incident(db, admin.org, admin.user, service)
        strict = notify_settings.model_copy(update={"webhook_allow_private": False})
        [dead] = await deliver_all(db, strict, admin.org.id)
        assert receiver.received == []
        assert dead.status == DeliveryStatus.DEAD
        [attempt] = dead.attempt_log
        assert attempt.outcome == "refused"
        assert "127.0.0.1" in attempt.error
        assert "IMAS_WEBHOOK_ALLOW_PRIVATE" in attempt.error
        job = await job_of(db, admin.org.id, dead.job_id)
        assert (job.status, job.attempts) == (JobStatus.DEAD, 1)

    async def test_a_deactivated_subscription_sends_nothing_more(
        self, client, db, notify_settings, admin, receiver, subscribe, service
    ):
        created = await subscribe(receiver.url)
        await make_incident(db, admin.org, admin.user, service)
        await client.patch(
            f"/api/v1/webhook-subscriptions/{created['id']}/",
            headers=admin.headers,
            json={"is_active": False},
        )
        await make_incident(db, admin.org, admin.user, service)  # not even queued
        [dead] = await deliver_all(db, notify_settings, admin.org.id)
        assert receiver.received == []
        assert dead.error == "the subscription was deactivated"

    async def test_a_secret_key_change_is_a_clear_dead_delivery(
        self, db, notify_settings, admin, receiver, subscribe, service
    ):
        await subscribe(receiver.url)
        await make_incident(db, admin.org, admin.user, service)
        rotated = notify_settings.model_copy(update={"secret_key": "another-key"})
        [dead] = await deliver_all(db, rotated, admin.org.id)
        assert receiver.received == []
        assert "IMAS_SECRET_KEY" in dead.error

    async def test_a_deleted_subscriptions_queued_job_does_nothing(
        self, client, db, notify_settings, admin, receiver, subscribe, service
    ):
        created = await subscribe(receiver.url)
        await make_incident(db, admin.org, admin.user, service)
        [pending] = await deliveries(db, admin.org.id)
        await client.delete(
            f"/api/v1/webhook-subscriptions/{created['id']}/", headers=admin.headers
        )

        async def job_done() -> bool:
            job = await job_of(db, admin.org.id, pending.job_id)
            return job.status == JobStatus.SUCCEEDED

        await run_worker(db, notify_settings, job_done)
        assert receiver.received == []
        assert await deliveries(db, admin.org.id) == []
