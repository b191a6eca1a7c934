"""`/api/v1/runbooks/`: ordered recovery steps, created and replaced as a whole."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from imas.catalog.models import RunbookStep
from imas.db import Database
from imas.orgs.models import Organization
from tests.catalog.access import AccessChecks
from tests.catalog.factories import make_runbook, make_service
from tests.helpers import assert_error

RUNBOOKS = "/api/v1/runbooks/"
READ_KEYS = {"id", "title", "description", "service", "steps", "created_at", "updated_at"}
STEP_KEYS = {
    "id",
    "order",
    "title",
    "description",
    "command",
    "expected_duration_minutes",
    "is_critical",
    "requires_confirmation",
}
SEED_STEPS = [
    {
        "order": 1,
        "title": "Check cluster status",
        "description": "Verify the state of all nodes",
        "command": "redis-cli cluster info",
        "expected_duration_minutes": 2,
        "is_critical": False,
        "requires_confirmation": False,
    },
    {
        "order": 2,
        "title": "Identify failed nodes",
        "command": "redis-cli cluster nodes | grep fail",
        "is_critical": True,
    },
]


def titles(body: dict[str, Any]) -> list[tuple[int, str]]:
    return [(step["order"], step["title"]) for step in body["steps"]]


async def step_rows(db: Database) -> int:
    async with db.transaction(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(RunbookStep)) or 0)


async def runbook_titles(client, actor) -> list[str]:
    response = await client.get(RUNBOOKS, headers=actor.headers)
    assert response.status_code == 200, response.text
    return [r["title"] for r in response.json()["results"]]


class TestSeedExamples:
    async def test_a_runbooks_detail_has_the_documented_fields(self, client, admin, db):
        service = await make_service(db, admin.org, "redis-prod")
        created = await client.post(
            RUNBOOKS,
            headers=admin.headers,
            json={
                "title": "Redis Cluster Recovery",
                "description": "Steps to recover a failed Redis cluster",
                "service": str(service.id),
                "steps": SEED_STEPS,
            },
        )
        assert created.status_code == 201, created.text

        response = await client.get(f"{RUNBOOKS}{created.json()['id']}/", headers=admin.headers)

        assert response.status_code == 200
        body = response.json()
        assert body == created.json()
        assert set(body) == READ_KEYS
        assert body["title"] == "Redis Cluster Recovery"
        assert body["description"] == "Steps to recover a failed Redis cluster"
        assert body["service"] == {"id": str(service.id), "name": "redis-prod"}
        first, second = body["steps"]
        assert set(first) == set(second) == STEP_KEYS
        assert {k: first[k] for k in SEED_STEPS[0]} == SEED_STEPS[0]
        assert {k: second[k] for k in SEED_STEPS[1]} == SEED_STEPS[1]
        assert (second["expected_duration_minutes"], second["requires_confirmation"]) == (
            None,
            False,
        )
        assert body["created_at"].endswith("Z")
        assert body["updated_at"].endswith("Z")

    async def test_listing_runbooks_shows_them_with_their_steps(self, client, admin, db):
        runbook = await make_runbook(db, admin.org, "Redis Cluster Recovery")

        response = await client.get(RUNBOOKS, headers=admin.headers)

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        [listed] = body["results"]
        assert listed["id"] == str(runbook.id)
        assert titles(listed) == [(1, "Check"), (2, "Fix")]


class TestCreate:
    async def test_order_defaults_to_the_position(self, client, admin):
        response = await client.post(
            RUNBOOKS,
            headers=admin.headers,
            json={"title": "R", "steps": [{"title": "a"}, {"title": "b"}, {"title": "c"}]},
        )
        assert response.status_code == 201, response.text
        assert titles(response.json()) == [(1, "a"), (2, "b"), (3, "c")]
        assert response.json()["service"] is None

    async def test_steps_come_back_sorted_by_their_order(self, client, admin):
        response = await client.post(
            RUNBOOKS,
            headers=admin.headers,
            json={"title": "R", "steps": [{"title": "last", "order": 10}, {"title": "second"}]},
        )
        assert titles(response.json()) == [(2, "second"), (10, "last")]

    async def test_a_repeated_order_is_400_and_nothing_is_stored(self, client, admin, db):
        response = await client.post(
            RUNBOOKS,
            headers=admin.headers,
            json={"title": "R", "steps": [{"title": "a"}, {"title": "b", "order": 1}]},
        )
        body = assert_error(response, 400, "validation_error")
        assert set(body["details"]) == {"steps"}
        assert "order 1" in body["details"]["steps"][0]
        assert await runbook_titles(client, admin) == []
        assert await step_rows(db) == 0

    async def test_an_unknown_service_is_400_on_service(self, client, admin, db):
        response = await client.post(
            RUNBOOKS,
            headers=admin.headers,
            json={"title": "R", "service": str(uuid.uuid4()), "steps": [{"title": "a"}]},
        )
        body = assert_error(response, 400, "validation_error")
        assert body["details"] == {"service": ["Service with this ID does not exist."]}
        assert await runbook_titles(client, admin) == []
        assert await step_rows(db) == 0

    async def test_another_organizations_service_is_400(self, client, admin, outsider, db):
        theirs = await make_service(db, outsider.org)
        response = await client.post(
            RUNBOOKS, headers=admin.headers, json={"title": "R", "service": str(theirs.id)}
        )
        assert set(assert_error(response, 400, "validation_error")["details"]) == {"service"}

    async def test_bad_fields_are_400(self, client, admin, db):
        for body, field in (
            ({"title": "t" * 201}, "title"),
            ({"title": ""}, "title"),
            ({"title": "R", "steps": [{"title": ""}]}, "steps.0.title"),
            ({"title": "R", "steps": [{"title": "s" * 201}]}, "steps.0.title"),
            ({"title": "R", "steps": [{"title": "a", "order": 0}]}, "steps.0.order"),
            (
                {"title": "R", "steps": [{"title": "a", "expected_duration_minutes": -1}]},
                "steps.0.expected_duration_minutes",
            ),
            ({"title": "R", "steps": [{"title": "a"}] * 201}, "steps"),
        ):
            response = await client.post(RUNBOOKS, headers=admin.headers, json=body)
            assert set(assert_error(response, 400, "validation_error")["details"]) == {field}
        assert await runbook_titles(client, admin) == []
        assert await step_rows(db) == 0


class TestList:
    async def test_filter_by_service_and_search(self, client, admin, db):
        redis = await make_service(db, admin.org, "redis-prod")
        await make_runbook(db, admin.org, "Redis failover", redis)
        await make_runbook(db, admin.org, "Redis memory", redis)
        await make_runbook(db, admin.org, "Kafka lag")

        by_service = await client.get(
            RUNBOOKS, params={"service": str(redis.id)}, headers=admin.headers
        )
        assert [r["title"] for r in by_service.json()["results"]] == [
            "Redis failover",
            "Redis memory",
        ]
        found = await client.get(
            RUNBOOKS, params={"search": "LAG", "ordering": "-title"}, headers=admin.headers
        )
        assert [r["title"] for r in found.json()["results"]] == ["Kafka lag"]


class TestUpdate:
    async def test_patch_steps_replaces_every_step(self, client, admin, db):
        runbook = await make_runbook(db, admin.org, "R", steps=("one", "two", "three"))

        response = await client.patch(
            f"{RUNBOOKS}{runbook.id}/",
            headers=admin.headers,
            json={"steps": [{"title": "new two", "order": 2}, {"title": "new one", "order": 1}]},
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert titles(body) == [(1, "new one"), (2, "new two")]
        assert body["title"] == "R"
        assert body["updated_at"] > body["created_at"]
        again = await client.get(f"{RUNBOOKS}{runbook.id}/", headers=admin.headers)
        assert again.json() == body
        assert await step_rows(db) == 2

    async def test_patch_without_steps_keeps_them(self, client, admin, db):
        runbook = await make_runbook(db, admin.org, "R", steps=("one", "two"))
        response = await client.patch(
            f"{RUNBOOKS}{runbook.id}/", headers=admin.headers, json={"title": "Renamed"}
        )
        assert response.json()["title"] == "Renamed"
        assert titles(response.json()) == [(1, "one"), (2, "two")]

    async def test_put_resets_what_it_omits(self, client, admin, db):
        service = await make_service(db, admin.org)
        runbook = await make_runbook(db, admin.org, "R", service, description="d")

        response = await client.put(
            f"{RUNBOOKS}{runbook.id}/", headers=admin.headers, json={"title": "Bare"}
        )

        body = response.json()
        assert (body["title"], body["description"], body["service"]) == ("Bare", "", None)
        assert body["steps"] == []
        assert await step_rows(db) == 0

    async def test_patch_service_links_and_unlinks(self, client, admin, db):
        service = await make_service(db, admin.org, "api")
        runbook = await make_runbook(db, admin.org)
        path = f"{RUNBOOKS}{runbook.id}/"

        linked = await client.patch(path, headers=admin.headers, json={"service": str(service.id)})
        assert linked.json()["service"] == {"id": str(service.id), "name": "api"}
        unlinked = await client.patch(path, headers=admin.headers, json={"service": None})
        assert unlinked.json()["service"] is None

    async def test_invalid_steps_change_nothing(self, client, admin, db):
        runbook = await make_runbook(db, admin.org, "R", steps=("one", "two"))
        path = f"{RUNBOOKS}{runbook.id}/"
        before = (await client.get(path, headers=admin.headers)).json()

        for body in (
            {"title": "X", "steps": [{"title": "a", "order": 3}, {"title": "b", "order": 3}]},
            {"title": "X", "steps": None},
            {"title": "X", "service": str(uuid.uuid4()), "steps": [{"title": "a"}]},
        ):
            response = await client.patch(path, headers=admin.headers, json=body)
            assert_error(response, 400, "validation_error")

        assert (await client.get(path, headers=admin.headers)).json() == before


class TestDelete:
    async def test_delete_answers_204_and_removes_its_steps(self, client, admin, db):
        runbook = await make_runbook(db, admin.org, steps=("a", "b"))

        response = await client.delete(f"{RUNBOOKS}{runbook.id}/", headers=admin.headers)

        assert response.status_code == 204
        gone = await client.get(f"{RUNBOOKS}{runbook.id}/", headers=admin.headers)
        assert_error(gone, 404, "not_found")
        assert await step_rows(db) == 0


class TestAccess(AccessChecks):
    path = RUNBOOKS

    async def make(self, db: Database, org: Organization) -> uuid.UUID:
        return (await make_runbook(db, org)).id

    def body(self) -> dict[str, Any]:
        return {"title": "Runbook", "steps": [{"title": "Do it"}]}
