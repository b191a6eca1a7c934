"""Rule evaluation with Prometheus semantics on a fake clock: inactive -> pending -> firing ->
resolved, one incident opened by the firing and resolved by the recovery; the evaluation jobs
plan themselves and a stale one does nothing."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from imas.db import acting_in
from imas.jobs.models import Job
from imas.jobs.store import Dead
from imas.telemetry import repository
from imas.telemetry.jobs import evaluate_in, evaluation_died
from imas.telemetry.service.evaluate import evaluate, matches
from imas.telemetry.service.schedule import EVALUATE_JOB
from tests.alerts.helpers import alerts, incident, incidents
from tests.telemetry.helpers import RULES, base_time, point, rule_body, send


async def make_rule(client, actor, **overrides) -> str:
    response = await client.post(RULES, json=rule_body(**overrides), headers=actor.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def tick(db, org_id, rule_id: str, now: datetime):
    async with db.transaction() as session:
        with acting_in(session, org_id):
            rule = await repository.rule(session, uuid.UUID(rule_id))
            return await evaluate(session, rule, now)


async def cpu(client, actor, start: datetime, seconds: int, value: float, host="web-01"):
    """A point every 10 s from `start` for `seconds`."""
    points = [
        point("cpu_usage", value, start + timedelta(seconds=s), host=host)
        for s in range(0, seconds, 10)
    ]
    await send(client, actor, points)


class TestForTwoMinutes:
    async def test_pending_then_firing_opens_one_incident_and_recovery_resolves_it(
        self, client, admin, db
    ):
        t0 = base_time()
        rule_id = await make_rule(client, admin)  # avg over 1m > 90 for 2m
        await cpu(client, admin, t0 - timedelta(minutes=1), 60 * 4, 97)  # hot from t0-1m to t0+3m

        first = await tick(db, admin.org.id, rule_id, t0)
        assert first.state == "pending"
        assert first.series[0].active_since == t0
        assert await incidents(client, admin) == []

        assert (await tick(db, admin.org.id, rule_id, t0 + timedelta(minutes=1))).state == "pending"
        fired = await tick(db, admin.org.id, rule_id, t0 + timedelta(minutes=2))
        assert fired.state == "firing"
        assert fired.series[0].previous_state == "pending"
        [opened] = await incidents(client, admin)
        assert opened["status"] == "TRIGGERED"
        assert opened["severity"] == "SEV1_CRITICAL"
        assert "CPU above 90% on web-01" in opened["title"]

        still = await tick(db, admin.org.id, rule_id, t0 + timedelta(minutes=2, seconds=30))
        assert still.state == "firing"
        assert len(await incidents(client, admin)) == 1
        [alert] = await alerts(client, admin)
        assert alert["status"] == "firing"
        assert alert["labels"]["rule_id"] == rule_id
        assert alert["labels"]["host"] == "web-01"
        assert alert["labels"]["team"] == "web"

        await cpu(client, admin, t0 + timedelta(minutes=3), 90, 40)  # it cools down
        resolved = await tick(db, admin.org.id, rule_id, t0 + timedelta(minutes=4, seconds=30))
        assert resolved.state == "inactive"
        assert resolved.series[0].previous_state == "firing"
        assert (await incident(client, admin, opened["id"]))["status"] == "RESOLVED"
        [alert] = await alerts(client, admin)
        assert alert["status"] == "resolved"
        detail = await client.get(f"{RULES}{rule_id}/", headers=admin.headers)
        assert detail.json()["state"] == "inactive"
        assert detail.json()["series"] == []

    async def test_a_condition_that_stops_before_for_never_fires(self, client, admin, db):
        t0 = base_time()
        rule_id = await make_rule(client, admin)
        await cpu(client, admin, t0 - timedelta(minutes=1), 90, 97)
        await cpu(client, admin, t0 + timedelta(seconds=30), 120, 10)
        assert (await tick(db, admin.org.id, rule_id, t0)).state == "pending"
        back = await tick(db, admin.org.id, rule_id, t0 + timedelta(minutes=2))
        assert back.state == "inactive"
        assert await incidents(client, admin) == []

    async def test_a_series_that_stops_reporting_resolves(self, client, admin, db):
        t0 = base_time()
        rule_id = await make_rule(client, admin, **{"for": 0})
        await cpu(client, admin, t0 - timedelta(minutes=1), 60, 97)
        assert (await tick(db, admin.org.id, rule_id, t0)).state == "firing"
        silent = await tick(db, admin.org.id, rule_id, t0 + timedelta(minutes=5))
        assert silent.state == "inactive"
        [opened] = await incidents(client, admin)
        assert opened["status"] == "RESOLVED"

    async def test_each_series_is_its_own_alert_in_one_incident(self, client, admin, db):
        t0 = base_time()
        rule_id = await make_rule(client, admin, matchers=[], **{"for": 0})
        await cpu(client, admin, t0 - timedelta(minutes=1), 60, 97, host="web-01")
        await cpu(client, admin, t0 - timedelta(minutes=1), 60, 98, host="web-02")
        await cpu(client, admin, t0 - timedelta(minutes=1), 60, 20, host="web-03")
        result = await tick(db, admin.org.id, rule_id, t0)
        assert sorted(s.state for s in result.series) == ["firing", "firing", "inactive"]
        assert len(await alerts(client, admin)) == 2
        assert len(await incidents(client, admin)) == 1

    async def test_deleting_a_firing_rule_resolves_its_alerts(self, client, admin, db):
        t0 = base_time()
        rule_id = await make_rule(client, admin, **{"for": 0})
        await cpu(client, admin, t0 - timedelta(minutes=1), 60, 97)
        await tick(db, admin.org.id, rule_id, t0)
        assert (await client.delete(f"{RULES}{rule_id}/", headers=admin.headers)).status_code == 204
        [alert] = await alerts(client, admin)
        assert alert["status"] == "resolved"


class TestMatchers:
    def test_prometheus_matchers(self):
        tags = {"host": "web-01", "env": "prod"}
        assert matches(tags, [{"tag": "host", "op": "=~", "value": "web-.*"}])
        assert not matches(tags, [{"tag": "host", "op": "!~", "value": "web-.*"}])
        assert matches(tags, [{"tag": "region", "op": "=", "value": ""}])  # absent is ""
        assert not matches(tags, [{"tag": "env", "op": "!=", "value": "prod"}])


async def planned(db, org_id) -> list[Job]:
    async with db.transaction(write=False) as session:
        with acting_in(session, org_id):
            found = await session.scalars(
                select(Job).where(Job.kind == EVALUATE_JOB).order_by(Job.run_at)
            )
            return list(found)


async def run_job(db, org_id, job: Job, now: datetime) -> None:
    async with db.transaction() as session:
        with acting_in(session, org_id):
            await evaluate_in(session, job.payload, now)


class TestScheduling:
    async def test_an_evaluation_plans_the_next_one_interval_later(self, client, admin, db):
        rule_id = await make_rule(client, admin)
        [job] = await planned(db, admin.org.id)
        at = datetime.fromisoformat(job.payload["at"])
        await run_job(db, admin.org.id, job, at)
        later = [j for j in await planned(db, admin.org.id) if j.id != job.id]
        assert [datetime.fromisoformat(j.payload["at"]) for j in later] == [
            at + timedelta(seconds=30)
        ]
        detail = await client.get(f"{RULES}{rule_id}/", headers=admin.headers)
        assert detail.json()["last_evaluated_at"] is not None

    async def test_a_stale_job_does_nothing(self, client, admin, db):
        rule_id = await make_rule(client, admin)
        [job] = await planned(db, admin.org.id)
        await client.patch(f"{RULES}{rule_id}/", json={"threshold": 50}, headers=admin.headers)
        await run_job(db, admin.org.id, job, datetime.fromisoformat(job.payload["at"]))
        assert len(await planned(db, admin.org.id)) == 2  # the stale one planned nothing
        detail = await client.get(f"{RULES}{rule_id}/", headers=admin.headers)
        assert detail.json()["last_evaluated_at"] is None

    async def test_a_dead_evaluation_keeps_the_chain_going(self, client, admin, db):
        await make_rule(client, admin)
        [job] = await planned(db, admin.org.id)
        dead = Dead(
            id=job.id,
            kind=job.kind,
            payload=job.payload,
            organization_id=admin.org.id,
            attempts=3,
            started_at=None,
            error="database went away",
        )
        async with db.transaction() as session:
            await evaluation_died(session, dead)
        assert len(await planned(db, admin.org.id)) == 2
