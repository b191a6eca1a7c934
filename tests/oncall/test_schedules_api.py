"""`/api/v1/schedules/`: CRUD, overrides, who is on call (across a DST change), teams whose
on-call comes from a schedule; bad input is a 400, another org's schedule a 404."""

from __future__ import annotations

import pytest

from tests.helpers import assert_error
from tests.oncall.conftest import api

SCHEDULES = "/api/v1/schedules/"


def body(*participants, **fields):
    return {
        "name": "Primary",
        "time_zone": "Europe/Paris",
        "layers": [
            {
                "rotation_type": "daily",
                "start_date": "2026-03-27",
                "handoff_time": "09:00",
                "participants": [str(p.user.id) for p in participants],
            }
        ],
    } | fields


@pytest.fixture
async def schedule(client, admin, alice, bob):
    return await api(client, admin, "POST", SCHEDULES, 201, json=body(alice, bob))


class TestCrud:
    async def test_create_read_list_update_delete(self, client, admin, alice, bob, schedule):
        assert schedule["time_zone"] == "Europe/Paris"
        [layer] = schedule["layers"]
        assert layer["shift_length"] == 1
        assert layer["shift_unit"] == "days"
        assert layer["handoff_time"] == "09:00"
        assert layer["participants"] == [str(alice.user.id), str(bob.user.id)]
        url = f"{SCHEDULES}{schedule['id']}/"
        assert (await api(client, admin, "GET", url, 200))["name"] == "Primary"
        listed = await api(client, admin, "GET", SCHEDULES + "?time_zone=Europe/Paris", 200)
        assert listed["count"] == 1
        assert (await api(client, admin, "GET", SCHEDULES + "?time_zone=UTC", 200))["count"] == 0
        changed = await api(
            client,
            admin,
            "PATCH",
            url,
            200,
            json={
                "name": "Renamed",
                "layers": [
                    {
                        "rotation_type": "custom",
                        "shift_length": 12,
                        "shift_unit": "hours",
                        "start_date": "2026-03-01",
                        "participants": [str(bob.user.id)],
                    },
                    body(alice)["layers"][0],
                ],
            },
        )
        assert changed["name"] == "Renamed"
        assert [x["position"] for x in changed["layers"]] == [0, 1]
        assert changed["layers"][0]["shift_unit"] == "hours"
        await api(client, admin, "DELETE", url, 204)
        assert_error(await client.get(url, headers=admin.headers), 404, "not_found")

    async def test_a_duplicate_name_is_a_409(self, client, admin, alice, schedule):
        response = await client.post(SCHEDULES, headers=admin.headers, json=body(alice))
        assert_error(response, 409)

    async def test_the_list_is_paginated(self, client, admin, alice):
        for n in range(3):
            await api(client, admin, "POST", SCHEDULES, 201, json=body(alice, name=f"S{n}"))
        page = await api(client, admin, "GET", SCHEDULES + "?page_size=2", 200)
        assert page["count"] == 3
        assert len(page["results"]) == 2
        assert page["next"]

    async def test_a_responder_reads_but_does_not_change(self, client, alice, schedule):
        assert (await client.get(SCHEDULES, headers=alice.headers)).status_code == 200
        response = await client.post(SCHEDULES, headers=alice.headers, json=body(alice))
        assert_error(response, 403)

    async def test_without_credentials_it_is_a_401(self, client):
        assert_error(await client.get(SCHEDULES), 401)


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
            ({"name": ""}, "name"),
        ],
    )
    async def test_bad_schedule_fields(self, client, admin, alice, change, field):
        response = await client.post(SCHEDULES, headers=admin.headers, json=body(alice) | change)
        details = assert_error(response, 400, "validation_error")["details"]
        assert field in details

    async def test_empty_participants(self, client, admin):
        response = await client.post(SCHEDULES, headers=admin.headers, json=body())
        details = assert_error(response, 400, "validation_error")["details"]
        assert "layers.0.participants" in details

    async def test_a_custom_rotation_needs_its_length(self, client, admin, alice):
        data = body(alice)
        data["layers"][0]["rotation_type"] = "custom"
        assert_error(
            await client.post(SCHEDULES, headers=admin.headers, json=data), 400, "validation_error"
        )

    async def test_another_orgs_user_as_participant(self, client, admin, alice, outsider):
        response = await client.post(SCHEDULES, headers=admin.headers, json=body(alice, outsider))
        details = assert_error(response, 400, "validation_error")["details"]
        assert "layers.0.participants" in details


class TestTenancy:
    async def test_another_orgs_schedule_is_a_404(self, client, outsider, schedule):
        url = f"{SCHEDULES}{schedule['id']}/"
        assert_error(await client.get(url, headers=outsider.headers), 404)
        assert_error(await client.get(url + "oncall/", headers=outsider.headers), 404)
        assert_error(await client.get(url + "overrides/", headers=outsider.headers), 404)
        response = await client.patch(url, headers=outsider.headers, json={"name": "Mine"})
        assert_error(response, 404)
        assert_error(await client.delete(url, headers=outsider.headers), 404)
        listed = await api(client, outsider, "GET", SCHEDULES, 200)
        assert listed["count"] == 0


class TestOnCall:
    async def test_who_is_on_call_keeps_the_local_hand_off_across_dst(
        self, client, admin, alice, bob, schedule
    ):
        url = f"{SCHEDULES}{schedule['id']}/oncall/"
        # 27th 09:00 CET alice, 28th 09:00 CET bob, 29th 09:00 CEST (07:00Z) alice again.
        before = await api(client, admin, "GET", url, 200, params={"at": "2026-03-29T06:30:00Z"})
        assert before["user"]["id"] == str(bob.user.id)
        assert before["source"] == "layer"
        assert before["layer"]["position"] == 0
        assert before["shift_start"] == "2026-03-28T08:00:00Z"
        assert before["shift_end"] == "2026-03-29T07:00:00Z"
        after = await api(client, admin, "GET", url, 200, params={"at": "2026-03-29T07:30:00Z"})
        assert after["user"]["id"] == str(alice.user.id)
        assert after["shift_start"] == "2026-03-29T07:00:00Z"

    async def test_nobody_before_the_rotation_starts(self, client, admin, schedule):
        url = f"{SCHEDULES}{schedule['id']}/oncall/"
        found = await api(client, admin, "GET", url, 200, params={"at": "2026-01-01T00:00:00Z"})
        assert found["user"] is None
        assert found["source"] is None


class TestOverrides:
    async def test_an_override_puts_someone_on_call_until_it_ends(
        self, client, admin, alice, bob, schedule
    ):
        base = f"{SCHEDULES}{schedule['id']}/"
        override = await api(
            client,
            admin,
            "POST",
            base + "overrides/",
            201,
            json={
                "user": str(admin.user.id),
                "start": "2026-03-29T10:00:00Z",
                "end": "2026-03-29T12:00:00Z",
            },
        )
        assert override["user"]["id"] == str(admin.user.id)
        during = await api(
            client, admin, "GET", base + "oncall/", 200, params={"at": "2026-03-29T11:00:00Z"}
        )
        assert during["user"]["id"] == str(admin.user.id)
        assert during["source"] == "override"
        assert during["override"] == override["id"]
        assert (during["shift_start"], during["shift_end"]) == (
            "2026-03-29T10:00:00Z",
            "2026-03-29T12:00:00Z",
        )
        after = await api(
            client, admin, "GET", base + "oncall/", 200, params={"at": "2026-03-29T12:00:00Z"}
        )
        assert after["user"]["id"] == str(alice.user.id)
        listed = await api(client, admin, "GET", base + "overrides/", 200)
        assert [o["id"] for o in listed["results"]] == [override["id"]]
        await api(client, admin, "DELETE", f"{base}overrides/{override['id']}/", 204)
        again = await api(
            client, admin, "GET", base + "oncall/", 200, params={"at": "2026-03-29T11:00:00Z"}
        )
        assert again["source"] == "layer"

    async def test_an_override_ending_before_it_starts_is_a_400(self, client, admin, schedule):
        response = await client.post(
            f"{SCHEDULES}{schedule['id']}/overrides/",
            headers=admin.headers,
            json={
                "user": str(admin.user.id),
                "start": "2026-03-29T12:00:00Z",
                "end": "2026-03-29T10:00:00Z",
            },
        )
        assert_error(response, 400, "validation_error")

    async def test_an_override_for_another_orgs_user_is_a_400(
        self, client, admin, outsider, schedule
    ):
        response = await client.post(
            f"{SCHEDULES}{schedule['id']}/overrides/",
            headers=admin.headers,
            json={
                "user": str(outsider.user.id),
                "start": "2026-03-29T10:00:00Z",
                "end": "2026-03-29T12:00:00Z",
            },
        )
        assert "user" in assert_error(response, 400, "validation_error")["details"]


class TestTeams:
    async def test_a_teams_current_on_call_comes_from_its_schedule(self, client, admin, alice, bob):
        data = body(alice, bob)
        data["layers"][0]["start_date"] = "2020-01-01"
        data["layers"][0]["participants"] = [str(bob.user.id)]
        schedule = await api(client, admin, "POST", SCHEDULES, 201, json=data)
        team = await api(
            client,
            admin,
            "POST",
            "/api/v1/teams/",
            201,
            json={"name": "SRE Core", "schedule": schedule["id"]},
        )
        assert team["schedule"] == schedule["id"]
        assert team["current_on_call"] == {
            "id": str(bob.user.id),
            "username": bob.user.username,
            "email": bob.user.email,
        }
        listed = await api(client, admin, "GET", "/api/v1/teams/", 200)
        assert listed["results"][0]["current_on_call"]["id"] == str(bob.user.id)
        detached = await api(
            client, admin, "PATCH", f"/api/v1/teams/{team['id']}/", 200, json={"schedule": None}
        )
        assert detached["schedule"] is None
        assert detached["current_on_call"] is None

    async def test_another_orgs_schedule_on_a_team_is_a_400(
        self, client, admin, outsider, schedule
    ):
        response = await client.post(
            "/api/v1/teams/",
            headers=outsider.headers,
            json={"name": "Theirs", "schedule": schedule["id"]},
        )
        assert "schedule" in assert_error(response, 400, "validation_error")["details"]
