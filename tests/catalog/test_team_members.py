"""Team members and the on-call user: every one is a member of the organization, and whoever
is on call is a member of the team (named on call -> added to the members; dropped from the
members while still on call -> 400)."""

from __future__ import annotations

import uuid

from tests.catalog.factories import make_team
from tests.catalog.test_teams import TEAMS, ref, team_names
from tests.factories import make_actor
from tests.helpers import assert_error


class TestMembersOnCreate:
    async def test_members_are_listed_by_username(self, client, admin, db):
        bob = await make_actor(db, admin.org, role="responder", username="bob")
        alice = await make_actor(db, admin.org, role="viewer", username="alice")

        response = await client.post(
            TEAMS,
            headers=admin.headers,
            json={"name": "Ops", "members": [str(bob.user.id), str(alice.user.id)]},
        )

        assert response.status_code == 201, response.text
        body = response.json()
        assert body["members"] == [ref(alice), ref(bob)]
        assert body["current_on_call"] is None
        assert body["slack_channel_id"] is None

    async def test_the_on_call_user_becomes_a_member(self, client, admin, db):
        bob = await make_actor(db, admin.org, username="bob")
        response = await client.post(
            TEAMS, headers=admin.headers, json={"name": "Ops", "current_on_call": str(bob.user.id)}
        )
        assert response.json()["members"] == [ref(bob)]
        assert response.json()["current_on_call"] == ref(bob)

    async def test_a_repeated_member_counts_once(self, client, admin):
        response = await client.post(
            TEAMS,
            headers=admin.headers,
            json={"name": "Ops", "members": [str(admin.user.id)] * 2},
        )
        assert response.json()["members"] == [ref(admin)]

    async def test_a_member_of_another_organization_is_400_and_nothing_is_stored(
        self, client, admin, outsider
    ):
        response = await client.post(
            TEAMS,
            headers=admin.headers,
            json={"name": "Ops", "members": [str(admin.user.id), str(outsider.user.id)]},
        )
        body = assert_error(response, 400, "validation_error")
        assert set(body["details"]) == {"members"}
        assert str(outsider.user.id) in body["details"]["members"][0]
        assert await team_names(client, admin) == []

    async def test_an_unknown_user_is_400(self, client, admin):
        response = await client.post(
            TEAMS, headers=admin.headers, json={"name": "Ops", "members": [str(uuid.uuid4())]}
        )
        assert set(assert_error(response, 400, "validation_error")["details"]) == {"members"}

    async def test_an_on_call_user_of_another_organization_is_400(self, client, admin, outsider):
        response = await client.post(
            TEAMS,
            headers=admin.headers,
            json={"name": "Ops", "current_on_call": str(outsider.user.id)},
        )
        body = assert_error(response, 400, "validation_error")
        assert set(body["details"]) == {"current_on_call"}
        assert await team_names(client, admin) == []


class TestMembersOnUpdate:
    async def test_patch_members_replaces_them(self, client, admin, db):
        bob = await make_actor(db, admin.org, username="bob")
        team = await make_team(db, admin.org, "Ops", members=[admin.user], description="d")

        response = await client.patch(
            f"{TEAMS}{team.id}/", headers=admin.headers, json={"members": [str(bob.user.id)]}
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["members"] == [ref(bob)]
        assert (body["name"], body["description"]) == ("Ops", "d")
        assert body["updated_at"] > body["created_at"]

    async def test_patch_current_on_call_adds_the_user_to_the_members(self, client, admin, db):
        bob = await make_actor(db, admin.org, username="bob")
        team = await make_team(db, admin.org, "Ops", members=[admin.user])

        response = await client.patch(
            f"{TEAMS}{team.id}/", headers=admin.headers, json={"current_on_call": str(bob.user.id)}
        )

        assert response.json()["current_on_call"] == ref(bob)
        assert {m["username"] for m in response.json()["members"]} == {"bob", admin.user.username}

    async def test_clearing_the_on_call_user_keeps_them_a_member(self, client, admin, db):
        team = await make_team(db, admin.org, "Ops", on_call=admin.user)
        response = await client.patch(
            f"{TEAMS}{team.id}/", headers=admin.headers, json={"current_on_call": None}
        )
        assert response.json()["current_on_call"] is None
        assert response.json()["members"] == [ref(admin)]

    async def test_dropping_the_on_call_user_from_members_is_400(self, client, admin, db):
        bob = await make_actor(db, admin.org, username="bob")
        team = await make_team(db, admin.org, "Ops", members=[bob.user], on_call=admin.user)
        before = (await client.get(f"{TEAMS}{team.id}/", headers=admin.headers)).json()

        response = await client.patch(
            f"{TEAMS}{team.id}/",
            headers=admin.headers,
            json={"name": "Renamed", "members": [str(bob.user.id)]},
        )

        body = assert_error(response, 400, "validation_error")
        assert set(body["details"]) == {"members"}
        assert admin.user.username in body["message"]
        assert (await client.get(f"{TEAMS}{team.id}/", headers=admin.headers)).json() == before

    async def test_handing_over_on_call_while_dropping_the_old_one_works(self, client, admin, db):
        bob = await make_actor(db, admin.org, username="bob")
        team = await make_team(db, admin.org, "Ops", on_call=admin.user)

        response = await client.patch(
            f"{TEAMS}{team.id}/",
            headers=admin.headers,
            json={"members": [str(bob.user.id)], "current_on_call": str(bob.user.id)},
        )

        assert response.json()["members"] == [ref(bob)]
        assert response.json()["current_on_call"] == ref(bob)

    async def test_a_member_of_another_organization_changes_nothing(
        self, client, admin, outsider, db
    ):
        team = await make_team(db, admin.org, "Ops", members=[admin.user])
        before = (await client.get(f"{TEAMS}{team.id}/", headers=admin.headers)).json()

        response = await client.put(
            f"{TEAMS}{team.id}/",
            headers=admin.headers,
            json={"name": "Ops", "members": [str(outsider.user.id)]},
        )

        assert set(assert_error(response, 400, "validation_error")["details"]) == {"members"}
        assert (await client.get(f"{TEAMS}{team.id}/", headers=admin.headers)).json() == before
