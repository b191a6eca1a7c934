"""`/api/v1/teams/`: teams, their members and who is on call; every person is a member of the
organization, and whoever is on call is a member of the team."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from imas.audit.models import AuditEvent
from imas.db import Database
from imas.orgs.models import Organization
from tests.catalog.access import AccessChecks
from tests.catalog.factories import make_service, make_team
from tests.factories import Actor, make_actor
from tests.helpers import assert_error

TEAMS = "/api/v1/teams/"
READ_KEYS = {
    "id",
    "name",
    "slack_channel_id",
    "current_on_call",
    "schedule",
    "members",
    "description",
    "created_at",
    "updated_at",
}


def ref(actor: Actor) -> dict[str, Any]:
    return {"id": str(actor.user.id), "username": actor.user.username, "email": actor.user.email}


async def team_names(client, actor) -> list[str]:
    response = await client.get(TEAMS, headers=actor.headers)
    assert response.status_code == 200, response.text
    return [t["name"] for t in response.json()["results"]]


class TestSeedExamples:
    async def test_listing_teams_shows_who_is_on_call(self, client, admin):
        user = await client.post(
            "/api/v1/users/",
            headers=admin.headers,
            json={
                "username": "oncall-user",
                "email": "oncall@example.com",
                "password": "a-long-password",
            },
        )
        created = await client.post(
            TEAMS,
            headers=admin.headers,
            json={
                "name": "SRE Core",
                "slack_channel_id": "C0123456789",
                "current_on_call": user.json()["id"],
            },
        )
        assert created.status_code == 201, created.text

        response = await client.get(TEAMS, headers=admin.headers)

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        [team] = body["results"]
        assert set(team) == READ_KEYS
        assert team["name"] == "SRE Core"
        assert team["slack_channel_id"] == "C0123456789"
        assert team["current_on_call"] == {
            "id": user.json()["id"],
            "username": "oncall-user",
            "email": "oncall@example.com",
        }
        assert team["members"] == [team["current_on_call"]]


class TestCreate:
    async def test_bad_fields_are_400(self, client, admin):
        for body, field in (
            ({"name": "t" * 101}, "name"),
            ({"name": " "}, "name"),
            ({"name": "Ops", "slack_channel_id": "C" * 51}, "slack_channel_id"),
            ({"name": "Ops", "members": ["not-an-id"]}, "members.0"),
            ({"name": "Ops", "members": None}, "members"),
        ):
            response = await client.post(TEAMS, headers=admin.headers, json=body)
            assert set(assert_error(response, 400, "validation_error")["details"]) == {field}
        assert await team_names(client, admin) == []

    async def test_a_duplicate_name_is_409(self, client, admin, db):
        await make_team(db, admin.org, "SRE Core")
        response = await client.post(TEAMS, headers=admin.headers, json={"name": "SRE Core"})
        assert assert_error(response, 409, "conflict")["error"] == "Team already exists"
        assert await team_names(client, admin) == ["SRE Core"]

    async def test_a_creation_writes_an_audit_row(self, client, admin, db: Database):
        response = await client.post(
            TEAMS,
            headers=admin.headers,
            json={"name": "Audited", "current_on_call": str(admin.user.id)},
        )

        async with db.transaction(write=False) as session:
            [event] = (
                await session.scalars(
                    select(AuditEvent).where(
                        AuditEvent.object_id == response.json()["id"],
                        AuditEvent.action == "team.created",
                    )
                )
            ).all()
        assert event.organization_id == admin.org.id
        assert event.actor_id == admin.user.id
        assert event.after is not None
        assert event.after["name"] == "Audited"
        assert event.after["on_call_user_id"] == str(admin.user.id)


class TestList:
    async def test_filter_by_member_and_search(self, client, admin, db):
        bob = await make_actor(db, admin.org, username="bob")
        await make_team(db, admin.org, "SRE Core", members=[bob.user])
        await make_team(db, admin.org, "Data Platform", members=[admin.user], on_call=bob.user)
        await make_team(db, admin.org, "Empty")

        by_member = await client.get(
            TEAMS, params={"member": str(bob.user.id)}, headers=admin.headers
        )
        assert [t["name"] for t in by_member.json()["results"]] == ["Data Platform", "SRE Core"]
        found = await client.get(TEAMS, params={"search": "core"}, headers=admin.headers)
        assert [t["name"] for t in found.json()["results"]] == ["SRE Core"]
        backwards = await client.get(TEAMS, params={"ordering": "-name"}, headers=admin.headers)
        assert [t["name"] for t in backwards.json()["results"]] == [
            "SRE Core",
            "Empty",
            "Data Platform",
        ]


class TestUpdate:
    async def test_put_resets_what_it_omits(self, client, admin, db):
        team = await make_team(
            db, admin.org, "Ops", on_call=admin.user, slack_channel_id="C1", description="d"
        )

        response = await client.put(f"{TEAMS}{team.id}/", headers=admin.headers, json={"name": "X"})

        body = response.json()
        assert body["name"] == "X"
        assert body["members"] == []
        assert body["current_on_call"] is None
        assert body["slack_channel_id"] is None
        assert body["description"] == ""

    async def test_renaming_to_a_taken_name_is_409_and_changes_nothing(self, client, admin, db):
        await make_team(db, admin.org, "taken")
        team = await make_team(db, admin.org, "mine")
        response = await client.patch(
            f"{TEAMS}{team.id}/",
            headers=admin.headers,
            json={"name": "taken", "members": [str(admin.user.id)]},
        )
        assert assert_error(response, 409, "conflict")["error"] == "Team already exists"
        after = (await client.get(f"{TEAMS}{team.id}/", headers=admin.headers)).json()
        assert (after["name"], after["members"]) == ("mine", [])


class TestDelete:
    async def test_delete_answers_204_and_its_services_lose_their_owner(self, client, admin, db):
        team = await make_team(db, admin.org, "Ops", members=[admin.user], on_call=admin.user)
        service = await make_service(db, admin.org, "api", team)

        response = await client.delete(f"{TEAMS}{team.id}/", headers=admin.headers)

        assert response.status_code == 204
        assert_error(
            await client.get(f"{TEAMS}{team.id}/", headers=admin.headers), 404, "not_found"
        )
        kept = await client.get(f"/api/v1/services/{service.id}/", headers=admin.headers)
        assert kept.json()["owner_team"] is None
        me = await client.get(f"/api/v1/users/{admin.user.id}/", headers=admin.headers)
        assert me.status_code == 200


class TestAccess(AccessChecks):
    path = TEAMS

    async def make(self, db: Database, org: Organization) -> uuid.UUID:
        return (await make_team(db, org)).id

    def body(self) -> dict[str, Any]:
        return {"name": f"team-{uuid.uuid4().hex[:8]}", "slack_channel_id": "C0123456789"}
