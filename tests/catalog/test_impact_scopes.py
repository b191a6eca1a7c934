"""`/api/v1/impact-scopes/`: what an incident endangers ("Data Loss Risk")."""

from __future__ import annotations

import uuid
from typing import Any

from imas.db import Database
from imas.orgs.models import Organization
from tests.catalog.access import AccessChecks
from tests.catalog.factories import make_impact_scope
from tests.helpers import assert_error

SCOPES = "/api/v1/impact-scopes/"


async def scope_names(client, actor) -> list[str]:
    response = await client.get(SCOPES, headers=actor.headers)
    assert response.status_code == 200, response.text
    return [s["name"] for s in response.json()["results"]]


class TestCreate:
    async def test_the_scope_of_the_seeds_incident_is_created(self, client, admin):
        response = await client.post(SCOPES, headers=admin.headers, json={"name": "Data Loss Risk"})

        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == {"id", "name", "description"}
        assert (body["name"], body["description"]) == ("Data Loss Risk", "")
        listed = (await client.get(SCOPES, headers=admin.headers)).json()
        assert listed["results"] == [body]

    async def test_bad_names_are_400_and_nothing_is_stored(self, client, admin):
        for name in ("n" * 101, "  ", None):
            response = await client.post(SCOPES, headers=admin.headers, json={"name": name})
            assert set(assert_error(response, 400, "validation_error")["details"]) == {"name"}
        assert await scope_names(client, admin) == []

    async def test_a_duplicate_name_is_409(self, client, admin, db):
        await make_impact_scope(db, admin.org, "Data Loss Risk")
        response = await client.post(SCOPES, headers=admin.headers, json={"name": "Data Loss Risk"})
        assert assert_error(response, 409, "conflict")["error"] == "Impact scope already exists"
        assert await scope_names(client, admin) == ["Data Loss Risk"]


class TestList:
    async def test_search_and_ordering(self, client, admin, db):
        await make_impact_scope(db, admin.org, "Data Loss Risk")
        await make_impact_scope(db, admin.org, "Customer Facing", "users see errors")
        await make_impact_scope(db, admin.org, "Security")

        found = await client.get(SCOPES, params={"search": "users"}, headers=admin.headers)
        assert [s["name"] for s in found.json()["results"]] == ["Customer Facing"]
        ordered = await client.get(SCOPES, params={"ordering": "-name"}, headers=admin.headers)
        assert [s["name"] for s in ordered.json()["results"]] == [
            "Security",
            "Data Loss Risk",
            "Customer Facing",
        ]


class TestUpdate:
    async def test_patch_and_put(self, client, admin, db):
        scope = await make_impact_scope(db, admin.org, "Security", "breach")
        path = f"{SCOPES}{scope.id}/"

        patched = await client.patch(path, headers=admin.headers, json={"description": "leak"})
        assert patched.json() == {"id": str(scope.id), "name": "Security", "description": "leak"}
        put = await client.put(path, headers=admin.headers, json={"name": "Sec"})
        assert put.json() == {"id": str(scope.id), "name": "Sec", "description": ""}

    async def test_renaming_to_a_taken_name_is_409_and_changes_nothing(self, client, admin, db):
        await make_impact_scope(db, admin.org, "taken")
        scope = await make_impact_scope(db, admin.org, "mine", "d")
        path = f"{SCOPES}{scope.id}/"

        response = await client.put(path, headers=admin.headers, json={"name": "taken"})

        assert assert_error(response, 409, "conflict")["error"] == "Impact scope already exists"
        after = (await client.get(path, headers=admin.headers)).json()
        assert after == {"id": str(scope.id), "name": "mine", "description": "d"}


class TestDelete:
    async def test_delete_answers_204(self, client, admin, db):
        scope = await make_impact_scope(db, admin.org)
        response = await client.delete(f"{SCOPES}{scope.id}/", headers=admin.headers)
        assert response.status_code == 204
        assert await scope_names(client, admin) == []


class TestAccess(AccessChecks):
    path = SCOPES

    async def make(self, db: Database, org: Organization) -> uuid.UUID:
        return (await make_impact_scope(db, org)).id

    def body(self) -> dict[str, Any]:
        return {"name": f"scope-{uuid.uuid4().hex[:8]}", "description": "x"}
