"""`GET /api/v1/audit-trail/`: who may read what, filters, pagination, CSV, and tenancy."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta, timezone

import httpx
import pytest

from imas.catalog.models import Service
from imas.db import Database
from imas.incidents.models import Incident
from tests.audit.helpers import TRAIL, parse_csv, trail, when
from tests.factories import Actor, make_actor
from tests.helpers import assert_error
from tests.incidents.factories import make_incident, make_service

ITEM_KEYS = {
    "id",
    "timestamp",
    "action",
    "user_name",
    "actor",
    "object_type",
    "object_id",
    "incident_id",
    "request_id",
    "before",
    "after",
    "details",
}
CSV_COLUMNS = [
    "ID",
    "Timestamp",
    "Action",
    "User",
    "Object Type",
    "Object ID",
    "Incident ID",
    "Request ID",
    "Details",
]


@dataclass
class Activity:
    """A morning in an organization: two incidents, worked on by two people."""

    disk: Incident
    api: Incident
    responder: Actor
    severity_request: str


async def work(client: httpx.AsyncClient, db: Database, admin: Actor, service: Service) -> Activity:
    disk = await make_incident(db, admin.org, admin.user, service, title="Disk full")
    api = await make_incident(db, admin.org, admin.user, service, title="API slow")
    responder = await make_actor(db, org=admin.org, role="responder")
    incidents = "/api/v1/incidents"
    steps = [
        client.post(f"{incidents}/{disk.id}/acknowledge/", headers=admin.headers),
        client.post(
            f"{incidents}/{api.id}/comments/",
            headers=responder.headers,
            json={"content": "Looking into it"},
        ),
        client.patch(
            f"{incidents}/{api.id}/", headers=responder.headers, json={"severity": "SEV1_CRITICAL"}
        ),
    ]
    answers = [await step for step in steps]
    assert all(a.status_code < 300 for a in answers), [a.text for a in answers]
    return Activity(disk, api, responder, answers[2].headers["X-Request-ID"])


@pytest.fixture
async def activity(client, db, admin, service: Service) -> Activity:
    return await work(client, db, admin, service)


def actions(events: list[dict]) -> list[str]:
    return [e["action"] for e in events]


class TestAccess:
    async def test_without_a_credential_is_401(self, client):
        assert_error(await client.get(TRAIL), 401, "not_authenticated")
        assert_error(await client.get(TRAIL, params={"format": "csv"}), 401, "not_authenticated")

    async def test_with_an_unknown_token_is_401(self, client):
        response = await client.get(TRAIL, headers={"Authorization": "Token not-a-real-token"})
        assert_error(response, 401, "invalid_token")

    async def test_without_incident_read_or_admin_is_403(self, client, db, admin):
        hooks_only = await make_actor(db, org=admin.org, role="admin", scopes=["webhook:read"])
        for params in ({}, {"format": "csv"}):
            response = await client.get(TRAIL, headers=hooks_only.headers, params=params)
            body = assert_error(response, 403, "permission_denied")
            assert body["details"] == {"required_scope": "incident:read"}

    async def test_admin_sees_every_event_of_the_organization(self, client, admin, activity):
        events = await trail(client, admin.headers)

        types = {e["object_type"] for e in events}
        assert {
            "organization",
            "membership",
            "api_token",
            "service",
            "incident",
            "comment",
        } <= types
        assert any(e["incident_id"] is None for e in events)

    async def test_incident_reader_sees_only_events_of_incidents(
        self, client, admin, viewer, activity
    ):
        everything = await trail(client, admin.headers)
        seen = await trail(client, viewer.headers)

        assert seen
        assert all(e["incident_id"] is not None for e in seen)
        assert seen == [e for e in everything if e["incident_id"] is not None]

    async def test_the_credentials_scopes_decide_not_the_role(self, client, db, admin, activity):
        limited = await make_actor(db, org=admin.org, role="admin", scopes=["incident:read"])

        seen = await trail(client, limited.headers)

        assert seen
        assert all(e["incident_id"] is not None for e in seen)

    async def test_incident_reader_cannot_open_other_events(self, client, admin, viewer, activity):
        membership = (await trail(client, admin.headers, action="membership.created"))[0]
        url = f"{TRAIL}{membership['id']}/"

        assert_error(await client.get(url, headers=viewer.headers), 404, "not_found")
        assert (await client.get(url, headers=admin.headers)).json() == membership

    async def test_incident_readers_csv_has_only_events_of_incidents(
        self, client, viewer, activity
    ):
        rows = parse_csv(await client.get(TRAIL, headers=viewer.headers, params={"format": "csv"}))

        assert rows
        assert all(row["Incident ID"] for row in rows)


class TestTenancy:
    @pytest.fixture
    async def elsewhere(self, client, db, outsider) -> Activity:
        return await work(client, db, outsider, await make_service(db, outsider.org))

    async def test_another_organizations_events_never_appear(
        self, client, admin, outsider, activity, elsewhere
    ):
        mine = await trail(client, admin.headers)
        theirs = await trail(client, outsider.headers)

        assert mine
        assert theirs
        assert {e["id"] for e in mine}.isdisjoint({e["id"] for e in theirs})
        foreign = {str(elsewhere.disk.id), str(elsewhere.api.id), str(outsider.user.id)}
        assert not foreign & {e["object_id"] for e in mine}
        assert not {e["actor"]["id"] for e in mine if e["actor"]} & {str(outsider.user.id)}

    async def test_filtering_on_their_objects_finds_nothing(
        self, client, admin, outsider, activity, elsewhere
    ):
        for params in (
            {"incident": str(elsewhere.disk.id)},
            {"incident": elsewhere.disk.short_id},
            {"ticket_id": elsewhere.api.short_id},
            {"actor": outsider.user.username},
            {"actor": str(outsider.user.id)},
            {"object_id": str(elsewhere.api.id)},
            {"request_id": elsewhere.severity_request},
        ):
            assert await trail(client, admin.headers, **params) == [], params

    async def test_their_event_is_404(self, client, admin, outsider, elsewhere):
        theirs = (await trail(client, outsider.headers))[0]

        response = await client.get(f"{TRAIL}{theirs['id']}/", headers=admin.headers)

        assert_error(response, 404, "not_found")

    async def test_their_events_are_not_in_the_csv(
        self, client, admin, outsider, activity, elsewhere
    ):
        rows = parse_csv(await client.get(TRAIL, headers=admin.headers, params={"format": "csv"}))
        theirs = {e["id"] for e in await trail(client, outsider.headers)}

        assert rows
        assert theirs.isdisjoint({row["ID"] for row in rows})


class TestItems:
    async def test_shape(self, client, admin, activity):
        events = await trail(client, admin.headers, action="incident.updated")

        assert len(events) == 1
        event = events[0]
        assert set(event) == ITEM_KEYS
        assert event["timestamp"].endswith("Z")
        assert event["user_name"] == activity.responder.user.username
        assert event["actor"] == {
            "id": str(activity.responder.user.id),
            "username": activity.responder.user.username,
        }
        assert event["incident_id"] == str(activity.api.id)
        assert event["request_id"] == activity.severity_request
        assert event["details"].startswith("incident.updated (severity:")

    async def test_the_system_acts_without_an_actor(self, client, admin, activity):
        created = await trail(client, admin.headers, incident=str(activity.disk.id))

        assert created[0]["action"] == "incident.created"
        assert created[0]["actor"] is None
        assert created[0]["user_name"] == "system"

    async def test_one_event(self, client, admin, activity):
        event = (await trail(client, admin.headers))[-1]

        response = await client.get(f"{TRAIL}{event['id']}/", headers=admin.headers)

        assert response.status_code == 200
        assert response.json() == event

    async def test_unknown_event_is_404(self, client, admin):
        response = await client.get(f"{TRAIL}{uuid.uuid4()}/", headers=admin.headers)
        assert_error(response, 404, "not_found")

    async def test_malformed_event_id_is_400(self, client, admin):
        response = await client.get(f"{TRAIL}not-an-id/", headers=admin.headers)
        assert_error(response, 400, "validation_error")

    async def test_event_needs_a_credential(self, client):
        assert_error(await client.get(f"{TRAIL}{uuid.uuid4()}/"), 401, "not_authenticated")


class TestFilters:
    async def test_by_incident_id(self, client, admin, activity):
        events = await trail(client, admin.headers, incident=str(activity.disk.id))

        assert actions(events) == ["incident.created", "incident.acknowledged"]
        assert {e["incident_id"] for e in events} == {str(activity.disk.id)}

    async def test_by_incident_short_id_in_any_case(self, client, admin, activity):
        by_id = await trail(client, admin.headers, incident=str(activity.api.id))

        assert actions(by_id) == ["incident.created", "comment.created", "incident.updated"]
        assert await trail(client, admin.headers, incident=activity.api.short_id) == by_id
        assert await trail(client, admin.headers, incident=activity.api.short_id.lower()) == by_id

    async def test_ticket_id_is_another_name_for_incident(self, client, admin, activity):
        by_incident = await trail(client, admin.headers, incident=activity.api.short_id)

        assert await trail(client, admin.headers, ticket_id=activity.api.short_id) == by_incident
        assert await trail(client, admin.headers, ticket_id=str(activity.api.id)) == by_incident

    async def test_an_incident_nobody_opened_has_no_events(self, client, admin, activity):
        assert await trail(client, admin.headers, incident="INC-ZZZZZZ") == []
        assert await trail(client, admin.headers, incident=str(uuid.uuid4())) == []

    @pytest.mark.parametrize("name", ["incident", "ticket_id"])
    async def test_something_else_than_an_incident_id_is_400(self, client, admin, name):
        response = await client.get(TRAIL, headers=admin.headers, params={name: "ADF-2025-abc"})

        body = assert_error(response, 400, "validation_error")
        assert set(body["details"]) == {name}

    async def test_by_actor_username_or_id(self, client, admin, activity):
        responder = activity.responder.user
        by_name = await trail(client, admin.headers, actor=responder.username)

        assert actions(by_name) == ["comment.created", "incident.updated"]
        assert await trail(client, admin.headers, actor=str(responder.id)) == by_name

    async def test_by_the_system(self, client, admin, activity):
        events = await trail(client, admin.headers, actor="system")

        assert events
        assert {e["user_name"] for e in events} == {"system"}
        assert "incident.created" in actions(events)

    async def test_by_action(self, client, admin, activity):
        events = await trail(client, admin.headers, action="incident.acknowledged")

        assert actions(events) == ["incident.acknowledged"]
        assert events[0]["object_id"] == str(activity.disk.id)

    async def test_by_one_of_several_actions(self, client, admin, activity):
        events = await trail(
            client, admin.headers, action__in="incident.acknowledged, comment.created,nothing.done"
        )

        assert actions(events) == ["incident.acknowledged", "comment.created"]

    async def test_by_object(self, client, admin, activity):
        comments = await trail(client, admin.headers, object_type="comment")
        assert actions(comments) == ["comment.created"]

        events = await trail(client, admin.headers, object_id=str(activity.api.id))
        assert actions(events) == ["incident.created", "incident.updated"]

    async def test_by_request(self, client, admin, activity):
        events = await trail(client, admin.headers, request_id=activity.severity_request)

        assert actions(events) == ["incident.updated"]

    async def test_by_time(self, client, admin, activity):
        everything = await trail(client, admin.headers)
        middle = everything[len(everything) // 2]["timestamp"]

        later = await trail(client, admin.headers, timestamp__gte=middle)
        earlier = await trail(client, admin.headers, timestamp__lte=middle)

        assert later == [e for e in everything if when(e["timestamp"]) >= when(middle)]
        assert earlier == [e for e in everything if when(e["timestamp"]) <= when(middle)]

    async def test_a_time_without_offset_is_utc(self, client, admin, activity):
        everything = await trail(client, admin.headers)
        middle = when(everything[len(everything) // 2]["timestamp"])
        naive = middle.replace(tzinfo=None).isoformat()
        in_paris = middle.astimezone(timezone(timedelta(hours=2))).isoformat()

        expected = await trail(client, admin.headers, timestamp__gte=middle.isoformat())
        assert await trail(client, admin.headers, timestamp__gte=naive) == expected
        assert await trail(client, admin.headers, timestamp__gte=in_paris) == expected

    async def test_a_window_with_nothing_in_it(self, client, admin, activity):
        events = await trail(
            client,
            admin.headers,
            timestamp__gte="2001-01-01T00:00:00Z",
            timestamp__lte="2001-12-31T00:00:00Z",
        )
        assert events == []

    async def test_an_unreadable_time_is_400(self, client, admin):
        response = await client.get(
            TRAIL, headers=admin.headers, params={"timestamp__gte": "yesterday"}
        )
        assert_error(response, 400, "validation_error")

    async def test_search_in_the_details(self, client, admin, activity):
        events = await trail(client, admin.headers, search="sev1_critical")

        assert actions(events) == ["incident.updated"]
        assert await trail(client, admin.headers, search="no such words") == []

    async def test_filters_combine(self, client, admin, activity):
        events = await trail(
            client,
            admin.headers,
            incident=activity.api.short_id,
            actor=activity.responder.user.username,
            object_type="incident",
        )

        assert actions(events) == ["incident.updated"]


class TestOrdering:
    async def test_newest_first_by_default(self, client, admin, activity):
        response = await client.get(TRAIL, headers=admin.headers, params={"page_size": 100})
        events = response.json()["results"]

        stamps = [when(e["timestamp"]) for e in events]
        assert stamps == sorted(stamps, reverse=True)
        assert events == list(reversed(await trail(client, admin.headers)))

    async def test_by_action_then_actor(self, client, admin, activity):
        by_action = await trail(client, admin.headers, ordering="action")
        by_actor = await trail(client, admin.headers, ordering="-actor")

        assert actions(by_action) == sorted(actions(by_action))
        names = [e["user_name"] for e in by_actor]
        assert names == sorted(names, reverse=True)

    async def test_unknown_field_is_400(self, client, admin):
        response = await client.get(TRAIL, headers=admin.headers, params={"ordering": "summary"})

        body = assert_error(response, 400, "validation_error")
        assert set(body["details"]) == {"ordering"}


class TestPagination:
    async def test_pages_cover_the_trail_once(self, client, admin, activity):
        everything = await trail(client, admin.headers)
        seen: list[dict] = []
        url: str | None = f"{TRAIL}?page_size=3&ordering=timestamp"
        while url:
            response = await client.get(url, headers=admin.headers)
            body = response.json()
            assert body["count"] == len(everything)
            assert len(body["results"]) <= 3
            assert (body["previous"] is None) == (not seen)
            seen += body["results"]
            url = body["next"]

        assert seen == everything

    async def test_twenty_by_default(self, client, admin, incident: Incident):
        for n in range(21):
            response = await client.post(
                f"/api/v1/incidents/{incident.id}/comments/",
                headers=admin.headers,
                json={"content": f"note {n}"},
            )
            assert response.status_code == 201

        body = (await client.get(TRAIL, headers=admin.headers)).json()

        assert len(body["results"]) == 20
        assert body["count"] > 20
        assert body["next"] is not None

    async def test_past_the_last_page_is_404(self, client, admin, activity):
        response = await client.get(TRAIL, headers=admin.headers, params={"page": 99})
        assert_error(response, 404, "invalid_page")


class TestCsv:
    async def test_is_a_download(self, client, admin, activity):
        response = await client.get(TRAIL, headers=admin.headers, params={"format": "csv"})

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;")
        assert disposition.replace('"', "").endswith("filename=audit_trail.csv")

    async def test_has_the_same_rows_as_the_list(self, client, admin, activity):
        response = await client.get(TRAIL, headers=admin.headers, params={"format": "csv"})
        rows = parse_csv(response)
        events = list(reversed(await trail(client, admin.headers)))

        assert list(rows[0])[: len(CSV_COLUMNS)] == CSV_COLUMNS
        assert [row["ID"] for row in rows] == [e["id"] for e in events]
        for row, event in zip(rows, events, strict=True):
            assert when(row["Timestamp"]) == when(event["timestamp"])
            assert row["Action"] == event["action"]
            assert row["User"] == event["user_name"]
            assert row["Object Type"] == event["object_type"]
            assert row["Object ID"] == event["object_id"]
            assert row["Incident ID"] == (event["incident_id"] or "")
            assert row["Request ID"] == (event["request_id"] or "")
            assert row["Details"] == event["details"]
            assert row["User ID"] == (event["actor"]["id"] if event["actor"] else "")
            assert (json.loads(row["Before"]) if row["Before"] else None) == event["before"]
            assert (json.loads(row["After"]) if row["After"] else None) == event["after"]

    async def test_applies_the_filters_and_ordering(self, client, admin, activity):
        params = {"incident": activity.api.short_id, "ordering": "timestamp"}
        response = await client.get(
            TRAIL, headers=admin.headers, params={**params, "format": "csv"}
        )

        rows = parse_csv(response)

        assert [row["ID"] for row in rows] == [
            e["id"] for e in await trail(client, admin.headers, **params)
        ]

    async def test_is_not_paginated(self, client, admin, incident: Incident):
        for n in range(21):
            await client.post(
                f"/api/v1/incidents/{incident.id}/comments/",
                headers=admin.headers,
                json={"content": f"note {n}"},
            )
        count = (await client.get(TRAIL, headers=admin.headers)).json()["count"]

        response = await client.get(
            TRAIL, headers=admin.headers, params={"format": "csv", "page_size": 5}
        )

        assert len(parse_csv(response)) == count > 20

    async def test_an_empty_selection_is_just_the_header(self, client, admin):
        response = await client.get(
            TRAIL, headers=admin.headers, params={"format": "csv", "action": "nothing.done"}
        )

        assert parse_csv(response) == []
        assert response.text.splitlines()[0].startswith("ID,Timestamp,Action,User")

    async def test_bad_filters_fail_before_the_download(self, client, admin):
        response = await client.get(
            TRAIL, headers=admin.headers, params={"format": "csv", "incident": "nope"}
        )
        assert_error(response, 400, "validation_error")

    async def test_unknown_format_is_400(self, client, admin):
        response = await client.get(TRAIL, headers=admin.headers, params={"format": "xlsx"})
        assert_error(response, 400, "validation_error")
