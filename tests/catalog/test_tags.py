"""`/api/v1/tags/`: labels for incidents, each with a #rrggbb color."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select

from imas.audit.models import AuditEvent
from imas.db import Database
from imas.orgs.models import Organization
from tests.catalog.access import AccessChecks
from tests.catalog.factories import make_tag
from tests.helpers import assert_error

TAGS = "/api/v1/tags/"


async def tag_names(client, actor) -> list[str]:
    response = await client.get(TAGS, headers=actor.headers)
    assert response.status_code == 200, response.text
    return [tag["name"] for tag in response.json()["results"]]


class TestSeedExamples:
    async def test_creating_the_seeds_tag_answers_201_with_it(self, client, admin):
        response = await client.post(
            TAGS, headers=admin.headers, json={"name": "postmortem-required", "color": "#dc3545"}
        )

        assert response.status_code == 201, response.text
        body = response.json()
        assert set(body) == {"id", "name", "color"}
        assert uuid.UUID(body["id"])
        assert body["name"] == "postmortem-required"
        assert body["color"] == "#dc3545"

    async def test_listing_tags_shows_the_created_tag(self, client, admin):
        created = await client.post(
            TAGS, headers=admin.headers, json={"name": "postmortem-required", "color": "#dc3545"}
        )

        response = await client.get(TAGS, headers=admin.headers)

        assert response.status_code == 200
        assert response.json() == {
            "count": 1,
            "next": None,
            "previous": None,
            "results": [created.json()],
        }


class TestCreate:
    async def test_color_defaults_to_grey(self, client, admin):
        response = await client.post(TAGS, headers=admin.headers, json={"name": "flaky"})
        assert response.status_code == 201
        assert response.json()["color"] == "#6c757d"

    async def test_color_is_stored_in_lower_case(self, client, admin):
        response = await client.post(
            TAGS, headers=admin.headers, json={"name": "x", "color": "#DC3545"}
        )
        assert response.json()["color"] == "#dc3545"

    async def test_name_is_trimmed(self, client, admin):
        response = await client.post(TAGS, headers=admin.headers, json={"name": "  db  "})
        assert response.json()["name"] == "db"

    async def test_an_invalid_color_is_400_on_color_and_nothing_is_stored(self, client, admin):
        for color in ("red", "#dc354", "#dc35455", "dc3545", "#gg0000", ""):
            response = await client.post(
                TAGS, headers=admin.headers, json={"name": "bad", "color": color}
            )
            body = assert_error(response, 400, "validation_error")
            assert set(body["details"]) == {"color"}
            assert "#rrggbb" in body["details"]["color"][0]
        assert await tag_names(client, admin) == []

    async def test_a_name_longer_than_50_is_400(self, client, admin):
        response = await client.post(TAGS, headers=admin.headers, json={"name": "x" * 51})
        body = assert_error(response, 400, "validation_error")
        assert set(body["details"]) == {"name"}
        assert await tag_names(client, admin) == []

    async def test_a_name_of_exactly_50_is_accepted(self, client, admin):
        response = await client.post(TAGS, headers=admin.headers, json={"name": "x" * 50})
        assert response.status_code == 201

    async def test_a_blank_or_missing_name_is_400(self, client, admin):
        for body in ({"name": "   "}, {"name": ""}, {}, {"name": None}):
            response = await client.post(TAGS, headers=admin.headers, json=body)
            assert set(assert_error(response, 400, "validation_error")["details"]) == {"name"}
        assert await tag_names(client, admin) == []

    async def test_a_nul_character_is_400_not_a_server_error(self, client, admin):
        response = await client.post(TAGS, headers=admin.headers, json={"name": "a\u0000b"})
        body = assert_error(response, 400, "bad_request")
        assert "NUL" in body["message"]
        assert await tag_names(client, admin) == []

    async def test_a_duplicate_name_is_409_and_the_first_tag_stays(self, client, admin):
        first = await client.post(TAGS, headers=admin.headers, json={"name": "dup"})

        response = await client.post(
            TAGS, headers=admin.headers, json={"name": " dup ", "color": "#000000"}
        )

        body = assert_error(response, 409, "conflict")
        assert body["error"] == "Tag already exists"
        assert "name" in body["details"]
        listed = (await client.get(TAGS, headers=admin.headers)).json()
        assert listed["results"] == [first.json()]

    async def test_concurrent_creations_of_one_name_make_one_tag(self, client, admin):
        responses = await asyncio.gather(
            *(client.post(TAGS, headers=admin.headers, json={"name": "race"}) for _ in range(4))
        )

        assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
        assert await tag_names(client, admin) == ["race"]

    async def test_the_same_name_in_another_organization_is_fine(self, client, admin, outsider):
        for actor in (admin, outsider):
            response = await client.post(TAGS, headers=actor.headers, json={"name": "shared"})
            assert response.status_code == 201

    async def test_a_creation_writes_an_audit_row(self, client, admin, db: Database):
        response = await client.post(
            TAGS, headers=admin.headers, json={"name": "audited", "color": "#123456"}
        )

        async with db.transaction(write=False) as session:
            events = (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.object_id == response.json()["id"])
                )
            ).all()
        assert [e.action for e in events] == ["tag.created"]
        [event] = events
        assert event.organization_id == admin.org.id
        assert event.actor_id == admin.user.id
        assert event.request_id == response.headers["X-Request-ID"]
        assert event.after is not None
        assert event.after["name"] == "audited"
        assert event.after["color"] == "#123456"


class TestList:
    async def test_search_ordering_and_pages(self, client, admin, db):
        for name in ("db-slow", "db-down", "network"):
            await make_tag(db, admin.org, name)

        found = await client.get(TAGS, params={"search": "DB"}, headers=admin.headers)
        assert [t["name"] for t in found.json()["results"]] == ["db-down", "db-slow"]

        backwards = await client.get(TAGS, params={"ordering": "-name"}, headers=admin.headers)
        assert [t["name"] for t in backwards.json()["results"]] == ["network", "db-slow", "db-down"]

        page = (await client.get(TAGS, params={"page_size": 2}, headers=admin.headers)).json()
        assert page["count"] == 3
        assert len(page["results"]) == 2
        assert "page=2" in page["next"]

    async def test_a_nul_character_in_search_is_400(self, client, admin):
        response = await client.get(TAGS, params={"search": "a\x00"}, headers=admin.headers)
        assert "NUL" in assert_error(response, 400, "bad_request")["message"]

    async def test_an_unknown_ordering_is_400(self, client, admin):
        response = await client.get(TAGS, params={"ordering": "secret"}, headers=admin.headers)
        assert "ordering" in assert_error(response, 400, "validation_error")["details"]


class TestUpdate:
    async def test_patch_changes_only_the_color(self, client, admin, db):
        tag = await make_tag(db, admin.org, "sev", "#111111")

        response = await client.patch(
            f"{TAGS}{tag.id}/", headers=admin.headers, json={"color": "#222222"}
        )

        assert response.status_code == 200, response.text
        assert response.json() == {"id": str(tag.id), "name": "sev", "color": "#222222"}

    async def test_put_replaces_every_field(self, client, admin, db):
        tag = await make_tag(db, admin.org, "sev", "#111111")

        response = await client.put(f"{TAGS}{tag.id}/", headers=admin.headers, json={"name": "s"})

        assert response.json() == {"id": str(tag.id), "name": "s", "color": "#6c757d"}

    async def test_put_without_a_name_is_400(self, client, admin, db):
        tag = await make_tag(db, admin.org, "sev")
        response = await client.put(f"{TAGS}{tag.id}/", headers=admin.headers, json={})
        assert set(assert_error(response, 400, "validation_error")["details"]) == {"name"}

    async def test_renaming_to_a_taken_name_is_409_and_changes_nothing(self, client, admin, db):
        await make_tag(db, admin.org, "taken")
        tag = await make_tag(db, admin.org, "mine", "#111111")

        response = await client.patch(
            f"{TAGS}{tag.id}/", headers=admin.headers, json={"name": "taken", "color": "#222222"}
        )

        assert assert_error(response, 409, "conflict")["error"] == "Tag already exists"
        after = await client.get(f"{TAGS}{tag.id}/", headers=admin.headers)
        assert after.json() == {"id": str(tag.id), "name": "mine", "color": "#111111"}

    async def test_nulling_a_required_field_is_400(self, client, admin, db):
        tag = await make_tag(db, admin.org)
        for field in ("name", "color"):
            response = await client.patch(
                f"{TAGS}{tag.id}/", headers=admin.headers, json={field: None}
            )
            assert set(assert_error(response, 400, "validation_error")["details"]) == {field}

    async def test_an_invalid_color_is_400(self, client, admin, db):
        tag = await make_tag(db, admin.org, color="#111111")
        response = await client.patch(
            f"{TAGS}{tag.id}/", headers=admin.headers, json={"color": "blue"}
        )
        assert set(assert_error(response, 400, "validation_error")["details"]) == {"color"}
        after = await client.get(f"{TAGS}{tag.id}/", headers=admin.headers)
        assert after.json()["color"] == "#111111"


class TestDelete:
    async def test_delete_answers_204_and_the_tag_is_gone(self, client, admin, db):
        tag = await make_tag(db, admin.org)

        response = await client.delete(f"{TAGS}{tag.id}/", headers=admin.headers)

        assert response.status_code == 204
        assert response.content == b""
        assert_error(await client.get(f"{TAGS}{tag.id}/", headers=admin.headers), 404, "not_found")


class TestAccess(AccessChecks):
    path = TAGS

    async def make(self, db: Database, org: Organization) -> uuid.UUID:
        return (await make_tag(db, org)).id

    def body(self) -> dict[str, Any]:
        return {"name": f"t-{uuid.uuid4().hex[:8]}", "color": "#abcdef"}
