"""`/api/v1/telemetry/rules/`: CRUD, validation, filters, tenancy, scopes, and "test now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from imas.db import acting_in
from imas.jobs.models import Job
from imas.telemetry.service.schedule import EVALUATE_JOB
from tests.factories import make_actor
from tests.telemetry.helpers import RULES, point, rule_body, send


async def create(client, actor, **overrides):
    response = await client.post(RULES, json=rule_body(**overrides), headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def evaluation_jobs(db, org_id):
    async with db.transaction(write=False) as session:
        with acting_in(session, org_id):
            return list(await session.scalars(select(Job).where(Job.kind == EVALUATE_JOB)))


class TestCrud:
    async def test_create_read_update_delete(self, client, admin, db):
        rule = await create(client, admin)
        assert rule["window"] == 60
        assert rule["for"] == 120
        assert rule["interval"] == 30
        assert rule["state"] == "inactive"
        assert rule["matchers"] == [{"tag": "host", "op": "=", "value": "web-01"}]
        assert rule["next_evaluation_at"] is not None

        got = await client.get(f"{RULES}{rule['id']}/", headers=admin.headers)
        assert got.json()["name"] == "CPU high"

        patched = await client.patch(
            f"{RULES}{rule['id']}/", json={"threshold": 95, "for": 60}, headers=admin.headers
        )
        assert patched.status_code == 200, patched.text
        assert (patched.json()["threshold"], patched.json()["for"]) == (95, 60)

        jobs = await evaluation_jobs(db, admin.org.id)
        assert sorted(j.payload["version"] for j in jobs) == [1, 2]  # the first is now stale

        deleted = await client.delete(f"{RULES}{rule['id']}/", headers=admin.headers)
        assert deleted.status_code == 204
        gone = await client.get(f"{RULES}{rule['id']}/", headers=admin.headers)
        assert gone.status_code == 404

    async def test_a_disabled_rule_has_no_evaluation_planned(self, client, admin):
        rule = await create(client, admin, enabled=False)
        assert rule["next_evaluation_at"] is None

    async def test_list_filters_and_pagination(self, client, admin):
        await create(client, admin, name="a", severity="critical")
        await create(client, admin, name="b", metric_name="mem_used", severity="warning")
        await create(client, admin, name="c", enabled=False)

        async def names(**params):
            response = await client.get(RULES, params=params, headers=admin.headers)
            assert response.status_code == 200, response.text
            return [r["name"] for r in response.json()["results"]]

        assert await names() == ["a", "b", "c"]
        assert await names(enabled="false") == ["c"]
        assert await names(metric_name="mem_used") == ["b"]
        assert await names(severity="critical") == ["a", "c"]
        assert await names(search="B") == ["b"]
        assert await names(ordering="-name", page_size=2) == ["c", "b"]

    async def test_a_duplicate_name_is_409(self, client, admin):
        await create(client, admin)
        response = await client.post(RULES, json=rule_body(), headers=admin.headers)
        assert response.status_code == 409


class TestValidation:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("aggregation", "median"),
            ("comparison", "=>"),
            ("threshold", "high"),
            ("for", "two minutes"),
            ("window", -5),
            ("for", 692691591998.0),  # beyond any sane duration (and PostgreSQL's integer)
            ("interval", 0),
            ("severity", "apocalyptic"),
            ("metric_name", "bad name"),
            ("matchers", [{"tag": "host", "op": "=~", "value": "(unclosed"}]),
            ("matchers", [{"tag": "host", "op": "~", "value": "x"}]),
        ],
    )
    async def test_a_bad_field_is_400(self, client, admin, field, value):
        response = await client.post(RULES, json=rule_body(**{field: value}), headers=admin.headers)
        assert response.status_code == 400, response.text
        assert field in response.json()["message"]

    @pytest.mark.parametrize("field", ["matchers", "threshold", "for", "description", "enabled"])
    async def test_nulling_a_field_is_400_and_changes_nothing(self, client, admin, field):
        rule = await create(client, admin)
        response = await client.patch(
            f"{RULES}{rule['id']}/", json={"name": "renamed", field: None}, headers=admin.headers
        )
        assert response.status_code == 400, response.text
        assert "may not be null" in response.json()["message"]
        kept = (await client.get(f"{RULES}{rule['id']}/", headers=admin.headers)).json()
        assert kept == {**kept, "name": rule["name"], field: rule[field]}

    async def test_a_missing_threshold_is_400(self, client, admin):
        body = rule_body()
        del body["threshold"]
        response = await client.post(RULES, json=body, headers=admin.headers)
        assert response.status_code == 400


class TestTenancyAndScopes:
    async def test_another_orgs_rule_is_404_and_unlisted(self, client, admin, outsider):
        theirs = await create(client, outsider)
        for method in ("get", "delete"):
            response = await client.request(
                method, f"{RULES}{theirs['id']}/", headers=admin.headers
            )
            assert response.status_code == 404
        response = await client.patch(
            f"{RULES}{theirs['id']}/", json={"threshold": 1}, headers=admin.headers
        )
        assert response.status_code == 404
        test = await client.post(f"{RULES}{theirs['id']}/test/", headers=admin.headers)
        assert test.status_code == 404
        listed = await client.get(RULES, headers=admin.headers)
        assert listed.json()["count"] == 0

    async def test_401_and_403(self, client, db, admin):
        assert (await client.get(RULES)).status_code == 401
        viewer = await make_actor(db, admin.org, role="viewer")
        assert (await client.get(RULES, headers=viewer.headers)).status_code == 200
        response = await client.post(RULES, json=rule_body(), headers=viewer.headers)
        assert response.status_code == 403


class TestTestNow:
    async def test_it_answers_values_and_the_state_without_changing_it(self, client, admin):
        now = datetime.now(UTC)
        await send(
            client,
            admin,
            [
                point("cpu_usage", 95, now - timedelta(seconds=20), host="web-01"),
                point("cpu_usage", 97, now - timedelta(seconds=10), host="web-01"),
                point("cpu_usage", 99, now - timedelta(seconds=10), host="web-02"),
            ],
        )
        rule = await create(client, admin, **{"for": 0})

        response = await client.post(f"{RULES}{rule['id']}/test/", headers=admin.headers)
        assert response.status_code == 200, response.text
        result = response.json()
        assert result["state"] == "firing"
        assert result["condition"] == 'avg(cpu_usage{host="web-01"}[60s]) > 90'
        [series] = result["series"]
        assert series["value"] == 96
        assert series["condition_met"] is True
        assert series["previous_state"] == "inactive"
        assert series["labels"] == {"host": "web-01", "team": "web", "__name__": "cpu_usage"}

        again = await client.get(f"{RULES}{rule['id']}/", headers=admin.headers)
        assert again.json()["state"] == "inactive"
        assert again.json()["series"] == []
        assert again.json()["last_evaluated_at"] is None
        incidents = await client.get("/api/v1/incidents/", headers=admin.headers)
        assert incidents.json()["count"] == 0
