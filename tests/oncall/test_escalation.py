"""Escalations driven by a fake clock: a policy pages level after level (the first as the
incident opens, each later step a job due at its time), stops when the incident is taken on,
carries on after a restart, and every step and every page is on the incident's timeline."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select, update

from imas.db import acting_in
from imas.incidents import service as incidents
from imas.incidents.models import Incident, Status, TimelineEntry
from imas.incidents.service import timeline as timelines
from imas.jobs import registry, store
from imas.jobs.models import Job, JobPriority, JobStatus
from imas.oncall import jobs as oncall_jobs
from imas.oncall.models import ContactMethod, Escalation
from imas.oncall.service import escalation as escalations
from tests.incidents.factories import make_incident, make_service
from tests.notify.channels.smtp import smtp_server
from tests.oncall.conftest import api, run_due, run_worker_until

POLICIES = "/api/v1/escalation-policies/"


async def webhook_method(client, actor, url):
    await api(
        client,
        actor,
        "POST",
        "/api/v1/users/me/contact-methods/",
        201,
        json={"kind": "webhook", "target": url},
    )


@pytest.fixture
async def paged(client, db, admin, alice, bob, receiver, other_receiver):
    """alice is paged at level 1 by her webhook, bob (on call on a schedule) at level 2."""
    await webhook_method(client, alice, receiver.url)
    await webhook_method(client, bob, other_receiver.url)
    schedule = await api(
        client,
        admin,
        "POST",
        "/api/v1/schedules/",
        201,
        json={
            "name": "Primary",
            "time_zone": "Europe/Paris",
            "layers": [{"start_date": "2020-01-06", "participants": [str(bob.user.id)]}],
        },
    )
    policy = await api(
        client,
        admin,
        "POST",
        POLICIES,
        201,
        json={
            "name": "Default",
            "levels": [
                {"delay_minutes": 5, "targets": [{"type": "user", "id": str(alice.user.id)}]},
                {"delay_minutes": 5, "targets": [{"type": "schedule", "id": schedule["id"]}]},
            ],
        },
    )
    service = await make_service(db, admin.org, "redis-prod")
    await api(
        client,
        admin,
        "PATCH",
        f"/api/v1/services/{service.id}/",
        200,
        json={"escalation_policy": policy["id"]},
    )
    return service


async def timeline(db, org_id, incident_id):
    async with db.read_sessions() as session:
        with acting_in(session, org_id):
            rows = await session.scalars(
                select(TimelineEntry)
                .where(TimelineEntry.incident_id == incident_id)
                .order_by(TimelineEntry.timestamp)
            )
            return [(r.type, r.message) for r in rows.all()]


async def escalation_of(db, org_id, incident_id):
    async with db.read_sessions() as session:
        with acting_in(session, org_id):
            return await session.scalar(
                select(Escalation).where(Escalation.incident_id == incident_id)
            )


def kinds(entries):
    return [kind for kind, _ in entries if kind != "STATUS_CHANGE"]


class TestTwoLevels:
    async def test_level_two_is_paged_when_level_one_does_not_answer(
        self, db, oncall_settings, admin, alice, bob, paged, receiver, other_receiver, clock
    ):
        incident = await make_incident(db, admin.org, admin.user, paged, title="Redis down")

        assert await run_due(db, oncall_settings) == ["oncall.page"]
        assert len(receiver.received) == 1
        sent = json.loads(receiver.received[0].body)
        assert sent["incident_short_id"] == incident.short_id
        assert sent["url"].endswith(f"/incidents/{incident.short_id}")
        assert other_receiver.received == []

        clock.advance(minutes=4, seconds=59)
        assert await run_due(db, oncall_settings) == []
        clock.advance(seconds=1)
        assert await run_due(db, oncall_settings) == ["oncall.escalate", "oncall.page"]
        assert len(other_receiver.received) == 1
        assert len(receiver.received) == 1

        entries = await timeline(db, admin.org.id, incident.id)
        assert kinds(entries) == [
            "ESCALATION",
            "NOTIFICATION_SENT",
            "ESCALATION",
            "NOTIFICATION_SENT",
        ]
        messages = [m for _, m in entries]
        assert any("level 1 of 2: paging " + alice.user.username in m for m in messages)
        assert any(
            f"level 2 of 2: paging {bob.user.username} (on call on Primary)" in m for m in messages
        )
        escalation = await escalation_of(db, admin.org.id, incident.id)
        assert (escalation.status, escalation.steps_done) == ("exhausted", 2)

    async def test_acknowledging_stops_it_before_level_two(
        self, client, db, oncall_settings, admin, paged, receiver, other_receiver, clock
    ):
        incident = await make_incident(db, admin.org, admin.user, paged)
        await run_due(db, oncall_settings)
        assert len(receiver.received) == 1

        await api(client, admin, "POST", f"/api/v1/incidents/{incident.id}/acknowledge/", 200)
        clock.advance(minutes=10)
        assert await run_due(db, oncall_settings) == ["oncall.escalate"]  # finds nothing to do
        assert other_receiver.received == []

        escalation = await escalation_of(db, admin.org.id, incident.id)
        assert escalation.status == "stopped"
        assert escalation.stop_reason == f"acknowledged by {admin.user.username}"
        entries = await timeline(db, admin.org.id, incident.id)
        assert entries[-1][0] == "ESCALATION"
        assert entries[-1][1].endswith(f"stopped: acknowledged by {admin.user.username}")

    async def test_a_step_finding_the_incident_taken_on_stops_and_says_why(
        self, db, oncall_settings, admin, paged, other_receiver, clock
    ):
        incident = await make_incident(db, admin.org, admin.user, paged)
        await run_due(db, oncall_settings)
        async with db.transaction() as session:  # changed behind the events' back
            await session.execute(
                update(Incident)
                .where(Incident.id == incident.id)
                .values(status=Status.MITIGATED)
                .execution_options(all_orgs=True)
            )
        clock.advance(minutes=5)
        await run_due(db, oncall_settings)
        assert other_receiver.received == []
        escalation = await escalation_of(db, admin.org.id, incident.id)
        assert (escalation.status, escalation.stop_reason) == (
            "stopped",
            "the incident is mitigated",
        )

    async def test_a_step_run_twice_pages_once(
        self, db, oncall_settings, admin, paged, receiver, other_receiver, clock
    ):
        incident = await make_incident(db, admin.org, admin.user, paged)
        await run_due(db, oncall_settings)
        clock.advance(minutes=5)
        assert await run_due(db, oncall_settings) == ["oncall.escalate", "oncall.page"]
        async with db.transaction() as session:  # the second step's job, queued again
            await session.execute(
                update(Job)
                .where(Job.kind == "oncall.escalate", Job.status == JobStatus.SUCCEEDED)
                .values(status=JobStatus.QUEUED)
            )
        assert await run_due(db, oncall_settings) == ["oncall.escalate"]
        assert (len(receiver.received), len(other_receiver.received)) == (1, 1)
        entries = await timeline(db, admin.org.id, incident.id)
        assert kinds(entries).count("ESCALATION") == 2

    async def test_an_incident_of_a_service_without_policy_pages_nobody(
        self, db, oncall_settings, admin, paged, receiver, clock
    ):
        other = await make_service(db, admin.org, "no-policy")
        await make_incident(db, admin.org, admin.user, other)
        assert await run_due(db, oncall_settings) == []


class TestFirstLevel:
    async def test_it_is_paged_in_the_transaction_that_opens_the_incident(
        self, db, oncall_settings, admin, alice, paged, clock
    ):
        incident = await make_incident(db, admin.org, admin.user, paged)
        async with db.read_sessions() as session:
            queued = (
                await session.scalars(select(Job).where(Job.status == JobStatus.QUEUED))
            ).all()
        by_kind = {job.kind: job for job in queued}
        assert sorted(by_kind) == ["oncall.escalate", "oncall.page"]
        assert by_kind["oncall.page"].run_at <= clock.now
        assert by_kind["oncall.escalate"].payload["step"] == 1
        assert by_kind["oncall.escalate"].run_at > clock.now
        assert {job.priority for job in queued} == {JobPriority.URGENT}
        entries = await timeline(db, admin.org.id, incident.id)
        assert any("level 1 of 2: paging " + alice.user.username in m for _, m in entries)

    async def test_a_first_level_that_cannot_be_paged_now_is_left_to_a_step_job(
        self, db, oncall_settings, admin, paged, receiver, clock, monkeypatch
    ):
        real = escalations._page_step

        async def broken(*args, **kwargs):  # fails once it has written everything
            await real(*args, **kwargs)
            raise RuntimeError("schedules unavailable")

        with monkeypatch.context() as patched:
            patched.setattr(escalations, "_page_step", broken)
            incident = await make_incident(db, admin.org, admin.user, paged)
        entries = await timeline(db, admin.org.id, incident.id)
        assert "ESCALATION" not in kinds(entries)  # the failed step left nothing behind

        assert await run_due(db, oncall_settings) == ["oncall.escalate", "oncall.page"]
        assert len(receiver.received) == 1
        escalation = await escalation_of(db, admin.org.id, incident.id)
        assert (escalation.status, escalation.steps_done) == ("active", 1)


class TestPagesSentTogether:
    async def test_a_page_that_cannot_be_recorded_takes_no_other_with_it(
        self, db, oncall_settings, admin, paged, clock, monkeypatch
    ):
        fine = await make_incident(db, admin.org, admin.user, paged, title="fine")
        doomed = await make_incident(db, admin.org, admin.user, paged, title="doomed")
        claimed = await store.claim(db, "w", lease_seconds=60, limit=10)
        assert sorted(job.kind for job in claimed) == ["oncall.page", "oncall.page"]
        real = timelines.insert_rows
        batches = []

        async def insert_rows(session, rows):
            batches.append(len(rows))
            if any(row["incident_id"] == doomed.id for row in rows):
                raise RuntimeError("disk full")
            await real(session, rows)

        monkeypatch.setattr(timelines, "insert_rows", insert_rows)
        contexts = [
            registry.JobContext(
                db=db,
                settings=oncall_settings,
                job_id=job.id,
                organization_id=job.organization_id,
                attempt=job.attempt,
                max_attempts=job.max_attempts,
                worker="w",
            )
            for job in claimed
        ]
        outcomes = await asyncio.gather(  # recorded together first, then each alone
            *(
                oncall_jobs._sent(ctx, job.payload, f"page-{n}")
                for n, (ctx, job) in enumerate(zip(contexts, claimed, strict=True))
            ),
            return_exceptions=True,
        )
        by_incident = {
            job.payload["incident_id"]: (ctx, outcome)
            for ctx, job, outcome in zip(contexts, claimed, outcomes, strict=True)
        }
        fine_ctx, fine_outcome = by_incident[str(fine.id)]
        _, doomed_outcome = by_incident[str(doomed.id)]
        assert batches == [2, 1, 1]
        assert fine_outcome is None
        assert fine_ctx.completion.succeeded is True
        assert isinstance(doomed_outcome, RuntimeError)  # its job is retried, alone
        async with db.read_sessions() as session:
            statuses = {
                j.payload["incident_id"]: j.status
                for j in (await session.scalars(select(Job).where(Job.kind == "oncall.page")))
            }
        assert statuses == {str(fine.id): JobStatus.SUCCEEDED, str(doomed.id): JobStatus.RUNNING}
        assert "NOTIFICATION_SENT" in kinds(await timeline(db, admin.org.id, fine.id))
        assert "NOTIFICATION_SENT" not in kinds(await timeline(db, admin.org.id, doomed.id))


class TestRestart:
    async def test_the_next_level_runs_in_a_new_worker_when_due(
        self, db, oncall_settings, admin, paged, receiver, other_receiver, clock
    ):
        incident = await make_incident(db, admin.org, admin.user, paged)
        await run_due(db, oncall_settings)  # the first worker pages level 1, then "dies"
        async with db.read_sessions() as session:
            [pending] = (
                await session.scalars(select(Job).where(Job.status == JobStatus.QUEUED))
            ).all()
        assert pending.kind == "oncall.escalate"
        assert pending.payload["step"] == 1
        assert pending.run_at > clock.now

        clock.advance(minutes=5)

        async def level_two_paged():
            return len(other_receiver.received) == 1

        await run_worker_until(db, oncall_settings, level_two_paged)
        assert len(receiver.received) == 1
        entries = await timeline(db, admin.org.id, incident.id)
        assert kinds(entries).count("NOTIFICATION_SENT") == 2


class TestFailedPages:
    async def test_a_page_failing_every_attempt_is_recorded_once(
        self, db, oncall_settings, admin, paged, receiver, clock
    ):
        receiver.status = 500
        incident = await make_incident(db, admin.org, admin.user, paged)
        await run_due(db, oncall_settings)
        assert len(receiver.received) == 5  # every attempt of the page
        entries = await timeline(db, admin.org.id, incident.id)
        failed = [m for kind, m in entries if kind == "NOTIFICATION_FAILED"]
        assert len(failed) == 1
        assert "after 5 attempts" in failed[0]
        assert "HTTP 500" in failed[0]

    async def test_an_unknown_channel_kind_fails_at_once(
        self, db, oncall_settings, admin, alice, paged, receiver, clock
    ):
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                await session.execute(
                    update(ContactMethod)
                    .where(ContactMethod.user_id == alice.user.id)
                    .values(kind="carrier-pigeon")
                )
        incident = await make_incident(db, admin.org, admin.user, paged)
        await run_due(db, oncall_settings)
        assert receiver.received == []
        entries = await timeline(db, admin.org.id, incident.id)
        [failed] = [m for kind, m in entries if kind == "NOTIFICATION_FAILED"]
        assert "carrier-pigeon" in failed
        async with db.read_sessions() as session:
            [job] = (await session.scalars(select(Job).where(Job.kind == "oncall.page"))).all()
        assert (job.status, job.attempts) == (JobStatus.DEAD, 1)


class TestNotificationRules:
    async def test_a_rule_for_other_severities_does_not_page(
        self, client, db, oncall_settings, admin, alice, paged, receiver, clock
    ):
        [method] = (await api(client, alice, "GET", "/api/v1/users/me/contact-methods/", 200))[
            "results"
        ]
        await api(
            client,
            alice,
            "POST",
            "/api/v1/users/me/notification-rules/",
            201,
            json={"contact_method": method["id"], "severities": ["SEV1_CRITICAL"]},
        )
        low = await make_incident(db, admin.org, admin.user, paged, severity="SEV4_LOW")
        await run_due(db, oncall_settings)
        assert receiver.received == []
        entries = await timeline(db, admin.org.id, low.id)
        assert any("no contact method" in m for _, m in entries)

    async def test_a_delayed_rule_pages_when_its_delay_is_over(
        self, client, db, oncall_settings, admin, alice, paged, receiver, clock
    ):
        await delay_alices_pages(client, alice, minutes=2)
        await make_incident(db, admin.org, admin.user, paged)
        await run_due(db, oncall_settings)
        assert receiver.received == []
        clock.advance(minutes=2)
        assert await run_due(db, oncall_settings) == ["oncall.page"]
        assert len(receiver.received) == 1

    async def test_a_delayed_page_is_not_sent_once_the_incident_is_acknowledged(
        self, client, db, oncall_settings, admin, alice, paged, receiver, clock
    ):
        await delay_alices_pages(client, alice, minutes=2)
        incident = await make_incident(db, admin.org, admin.user, paged)
        await run_due(db, oncall_settings)
        async with db.transaction() as session:
            with acting_in(session, admin.org.id):
                await incidents.acknowledge(session, incident.id, admin.user)
        clock.advance(minutes=2)
        assert await run_due(db, oncall_settings) == ["oncall.page"]
        assert receiver.received == []
        entries = await timeline(db, admin.org.id, incident.id)
        assert "NOTIFICATION_SENT" not in kinds(entries)


async def delay_alices_pages(client, alice, minutes):
    [method] = (await api(client, alice, "GET", "/api/v1/users/me/contact-methods/", 200))[
        "results"
    ]
    await api(
        client,
        alice,
        "POST",
        "/api/v1/users/me/notification-rules/",
        201,
        json={"contact_method": method["id"], "delay_minutes": minutes},
    )


class TestEmail:
    async def test_someone_without_contact_methods_is_paged_at_their_account_address(
        self, client, db, make_settings, admin, paged, clock
    ):
        policy = await api(
            client,
            admin,
            "POST",
            POLICIES,
            201,
            json={
                "name": "Admin first",
                "levels": [{"targets": [{"type": "user", "id": str(admin.user.id)}]}],
            },
        )
        await api(
            client,
            admin,
            "PATCH",
            f"/api/v1/services/{paged.id}/",
            200,
            json={"escalation_policy": policy["id"]},
        )
        with smtp_server() as inbox:
            settings = make_settings(
                smtp_host="127.0.0.1", smtp_port=inbox.port, smtp_from="imas@example.com"
            )
            incident = await make_incident(db, admin.org, admin.user, paged, title="Disk full")
            await run_due(db, settings)
        [(_, recipients, msg)] = inbox.envelopes
        assert recipients == [admin.user.email]
        assert msg["Subject"].endswith(f"{incident.short_id}: Disk full")
        entries = await timeline(db, admin.org.id, incident.id)
        [sent] = [m for kind, m in entries if kind == "NOTIFICATION_SENT"]
        assert sent == f"Paged {admin.user.username} by email {admin.user.email}"


class TestRepeat:
    async def test_the_whole_policy_pages_again_then_ends(
        self, client, db, oncall_settings, admin, alice, paged, receiver, clock
    ):
        policy = await api(
            client,
            admin,
            "POST",
            POLICIES,
            201,
            json={
                "name": "Twice",
                "repeat": 1,
                "levels": [
                    {"delay_minutes": 10, "targets": [{"type": "user", "id": str(alice.user.id)}]}
                ],
            },
        )
        await api(
            client,
            admin,
            "PATCH",
            f"/api/v1/services/{paged.id}/",
            200,
            json={"escalation_policy": policy["id"]},
        )
        incident = await make_incident(db, admin.org, admin.user, paged)
        await run_due(db, oncall_settings)
        clock.advance(minutes=10)
        await run_due(db, oncall_settings)
        clock.advance(minutes=60)
        assert await run_due(db, oncall_settings) == []
        assert len(receiver.received) == 2
        steps = [
            m for kind, m in await timeline(db, admin.org.id, incident.id) if kind == "ESCALATION"
        ]
        assert [s.split(": paging")[0][-7:] for s in steps] == ["round 1", "round 2"]
        escalation = await escalation_of(db, admin.org.id, incident.id)
        assert escalation.status == "exhausted"
