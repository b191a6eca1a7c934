"""Bad input: a clear 4xx in the error shape, and nothing half-written."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from imas.catalog.models import Tag
from imas.incidents.models import Incident
from tests.helpers import assert_error
from tests.incidents.factories import make_incident, make_service


async def count(db, model) -> int:
    async with db.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def create(client, actor, **fields):
    return await client.post("/api/v1/incidents/", headers=actor.headers, json=fields)


class TestCreateValidation:
    async def test_unknown_service_is_400_as_in_the_seed(self, client, admin, db):
        response = await create(
            client, admin, title="x", service=str(uuid.uuid4()), tags=["brand-new"]
        )
        body = assert_error(response, 400, "validation_error")
        assert body["details"] == {"service": ["Service with this ID does not exist."]}
        assert await count(db, Incident) == 0
        assert await count(db, Tag) == 0

    async def test_another_orgs_service_is_unknown(self, client, admin, outsider, db):
        theirs = await make_service(db, outsider.org)
        response = await create(client, admin, title="x", service=str(theirs.id))
        assert_error(response, 400, "validation_error")

    async def test_unknown_severity(self, client, admin, redis):
        response = await create(
            client, admin, title="x", service=str(redis.id), severity="APOCALYPTIC"
        )
        body = assert_error(response, 400, "validation_error")
        assert "SEV1_CRITICAL" in body["details"]["severity"][0]

    @pytest.mark.parametrize(
        ("alias", "severity"), [("CRITICAL", "SEV1_CRITICAL"), ("high", "SEV2_HIGH")]
    )
    async def test_seed_001_severity_names_are_understood(
        self, client, admin, redis, alias, severity
    ):
        response = await create(
            client, admin, title=f"alias {alias}", service=str(redis.id), severity=alias
        )
        assert response.json()["severity"] == severity

    async def test_title_of_201_characters(self, client, admin, redis, db):
        response = await create(client, admin, title="x" * 201, service=str(redis.id))
        body = assert_error(response, 400, "validation_error")
        assert "200" in body["details"]["title"][0]
        assert await count(db, Incident) == 0

    async def test_title_of_200_characters_is_fine(self, client, admin, redis):
        assert (
            await create(client, admin, title="x" * 200, service=str(redis.id))
        ).status_code == 201

    async def test_missing_title_and_service(self, client, admin):
        body = assert_error(await create(client, admin), 400, "validation_error")
        assert set(body["details"]) == {"title", "service"}

    async def test_unknown_impact_scope(self, client, admin, redis):
        response = await create(
            client, admin, title="x", service=str(redis.id), impacted_scopes=[str(uuid.uuid4())]
        )
        body = assert_error(response, 400, "validation_error")
        assert "impacted_scopes" in body["details"]

    async def test_lead_from_another_org(self, client, admin, outsider, redis):
        response = await create(
            client, admin, title="x", service=str(redis.id), lead=str(outsider.user.id)
        )
        body = assert_error(response, 400, "validation_error")
        assert "lead" in body["details"]

    async def test_bad_link(self, client, admin, redis):
        response = await create(
            client, admin, title="x", service=str(redis.id), war_room_link="not a url"
        )
        assert "war_room_link" in assert_error(response, 400, "validation_error")["details"]

    async def test_duplicate_open_incident_is_409_with_its_id(self, client, admin, db, redis):
        existing = await make_incident(db, admin.org, admin.user, redis, title="Redis Cluster Down")
        response = await create(
            client, admin, title="Redis Cluster Down", service=str(redis.id), tags=["dup-tag"]
        )
        body = assert_error(response, 409, "incident_exists")
        assert body["error"] == "Incident already exists"
        assert body["details"] == {"incident_id": str(existing.id), "short_id": existing.short_id}
        assert await count(db, Incident) == 1
        assert await count(db, Tag) == 0

    async def test_same_title_again_once_resolved(self, client, admin, db, redis):
        existing = await make_incident(db, admin.org, admin.user, redis, title="Flapping")
        await client.post(f"/api/v1/incidents/{existing.id}/resolve/", headers=admin.headers)
        assert (
            await create(client, admin, title="Flapping", service=str(redis.id))
        ).status_code == 201
        reopen = await client.post(
            f"/api/v1/incidents/{existing.id}/reopen/", headers=admin.headers
        )
        assert_error(reopen, 409, "incident_exists")


class TestUpdateValidation:
    async def test_invalid_fields_change_nothing(self, client, admin, db, redis):
        incident = await make_incident(db, admin.org, admin.user, redis, title="Stable")
        url = f"/api/v1/incidents/{incident.id}/"
        before = (await client.get(url, headers=admin.headers)).json()
        for patch in (
            {"title": ""},
            {"severity": "nope"},
            {"lead": str(uuid.uuid4())},
            {"assigned_team": str(uuid.uuid4())},
            {"title": "y" * 201},
        ):
            response = await client.patch(
                url, headers=admin.headers, json={"description": "changed", **patch}
            )
            assert response.status_code == 400, (patch, response.text)
        assert (await client.get(url, headers=admin.headers)).json() == before

    async def test_renaming_onto_an_open_duplicate_is_409(self, client, admin, db, redis):
        await make_incident(db, admin.org, admin.user, redis, title="Taken")
        other = await make_incident(db, admin.org, admin.user, redis, title="Other")
        response = await client.patch(
            f"/api/v1/incidents/{other.id}/", headers=admin.headers, json={"title": "Taken"}
        )
        assert_error(response, 409, "incident_exists")

    async def test_removing_a_tag_the_incident_does_not_have_is_404(self, client, admin, db, redis):
        incident = await make_incident(db, admin.org, admin.user, redis, tags=["kept"])
        response = await client.delete(
            f"/api/v1/incidents/{incident.id}/tags/unknown/", headers=admin.headers
        )
        body = assert_error(response, 404, "not_found")
        assert "unknown" in body["message"]
        assert body["details"]["tags"] == ["kept"]

    async def test_removing_a_tag(self, client, admin, db, redis):
        incident = await make_incident(db, admin.org, admin.user, redis, tags=["a", "b"])
        response = await client.delete(
            f"/api/v1/incidents/{incident.short_id}/tags/a/", headers=admin.headers
        )
        assert response.json()["tags"] == ["b"]

    async def test_empty_comment_and_empty_tag_list(self, client, admin, db, redis):
        incident = await make_incident(db, admin.org, admin.user, redis)
        base = f"/api/v1/incidents/{incident.id}"
        assert_error(
            await client.post(f"{base}/comments/", headers=admin.headers, json={"content": ""}),
            400,
            "validation_error",
        )
        assert_error(
            await client.post(f"{base}/tags/", headers=admin.headers, json={"tags": []}),
            400,
            "validation_error",
        )

    async def test_unknown_incident_reference(self, client, admin):
        for ref in ("INC-ZZZZZZ", str(uuid.uuid4()), "garbage"):
            assert_error(
                await client.get(f"/api/v1/incidents/{ref}/", headers=admin.headers),
                404,
                "not_found",
            )


class TestEdits:
    async def test_patch_changes_fields_and_writes_the_timeline(
        self, client, admin, db, redis, sre_team
    ):
        incident = await make_incident(db, admin.org, admin.user, redis, tags=["old"])
        response = await client.patch(
            f"/api/v1/incidents/{incident.id}/",
            headers=admin.headers,
            json={
                "severity": "SEV1_CRITICAL",
                "assigned_team": str(sre_team.id),
                "title": "Renamed",
                "tags": ["new"],
                "affected_systems": ["api", "db"],
                "itsm_ticket_id": "APAIOPS-123",
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["severity"] == "SEV1_CRITICAL"
        assert body["assigned_team"]["name"] == "SRE Core"
        assert body["title"] == "Renamed"
        assert body["tags"] == ["new"]
        assert body["affected_systems"] == ["api", "db"]
        assert body["itsm_ticket_id"] == "APAIOPS-123"
        kinds = [e["type"] for e in body["timeline"]]
        for kind in ("SEVERITY_CHANGE", "ASSIGNMENT", "FIELD_CHANGE", "TAG_ADDED", "TAG_REMOVED"):
            assert kind in kinds
        severity = next(e for e in body["timeline"] if e["type"] == "SEVERITY_CHANGE")
        assert severity["data"] == {"from_severity": "SEV3_MEDIUM", "to_severity": "SEV1_CRITICAL"}

    async def test_put_behaves_like_patch(self, client, admin, db, redis):
        incident = await make_incident(db, admin.org, admin.user, redis, title="Keep me")
        response = await client.put(
            f"/api/v1/incidents/{incident.id}/",
            headers=admin.headers,
            json={"description": "more detail"},
        )
        assert response.json()["title"] == "Keep me"
        assert response.json()["description"] == "more detail"

    async def test_nulls_clear_what_may_be_cleared_and_keep_the_rest(
        self, client, admin, db, redis
    ):
        incident = await make_incident(db, admin.org, admin.user, redis, title="T", description="D")
        response = await client.patch(
            f"/api/v1/incidents/{incident.id}/",
            headers=admin.headers,
            json={
                "title": None,
                "description": None,
                "affected_systems": None,
                "itsm_ticket_id": "",
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["title"] == "T"
        assert response.json()["description"] == ""

    async def test_null_clears_an_assignment(self, client, admin, db, redis, sre_team):
        incident = await make_incident(db, admin.org, admin.user, redis, assigned_team=sre_team.id)
        response = await client.patch(
            f"/api/v1/incidents/{incident.id}/", headers=admin.headers, json={"assigned_team": None}
        )
        assert response.json()["assigned_team"] is None

    async def test_delete(self, client, admin, db, redis):
        incident = await make_incident(db, admin.org, admin.user, redis, tags=["t"])
        await client.post(
            f"/api/v1/incidents/{incident.id}/comments/",
            headers=admin.headers,
            json={"content": "c"},
        )
        response = await client.delete(
            f"/api/v1/incidents/{incident.short_id}/", headers=admin.headers
        )
        assert response.status_code == 200
        assert response.json() == {"message": "Incident deleted successfully"}
        assert_error(
            await client.get(f"/api/v1/incidents/{incident.id}/", headers=admin.headers),
            404,
            "not_found",
        )


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/incidents/?remediation_attempts__gte=149538428837",
        "/api/v1/automation/runs/00000000-0000-0000-0000-000000000000/logs/?offset=99999999999999",
        "/api/v1/pipeline-runs/00000000-0000-0000-0000-000000000000/logs/?offset=99999999999999",
    ],
)
async def test_a_number_too_big_for_the_database_is_a_400(client, admin, query):
    """PostgreSQL refuses integers beyond its column's range: the API refuses them first."""
    assert_error(await client.get(query, headers=admin.headers), 400, "validation_error")
