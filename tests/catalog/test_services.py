"""`/api/v1/services/`: the service catalog, each service owned by a team of the organization."""

from __future__ import annotations

import uuid
from typing import Any

from imas.db import Database, utcnow
from imas.incidents.models import Incident
from imas.orgs.models import Organization
from tests.catalog.access import AccessChecks
from tests.catalog.factories import acting_for, make_runbook, make_service, make_team
from tests.helpers import assert_error

SERVICES = "/api/v1/services/"
READ_KEYS = {
    "id",
    "name",
    "owner_team",
    "criticality",
    "runbook_url",
    "description",
    "escalation_policy",
    "created_at",
    "updated_at",
}


async def listed(client, actor, **params: Any) -> list[str]:
    response = await client.get(SERVICES, params=params, headers=actor.headers)
    assert response.status_code == 200, response.text
    return [s["name"] for s in response.json()["results"]]


class TestSeedExamples:
    async def test_listing_services_shows_the_documented_fields(self, client, admin, db):
        team = await make_team(db, admin.org, "SRE Core")
        created = await client.post(
            SERVICES,
            headers=admin.headers,
            json={
                "name": "redis-prod",
                "owner_team": str(team.id),
                "criticality": "TIER_1_CRITICAL",
                "runbook_url": "https://wiki.example.com/redis",
            },
        )
        assert created.status_code == 201, created.text

        response = await client.get(SERVICES, headers=admin.headers)

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        [service] = body["results"]
        assert set(service) == READ_KEYS
        assert uuid.UUID(service["id"])
        assert service["name"] == "redis-prod"
        assert service["owner_team"] == {"id": str(team.id), "name": "SRE Core"}
        assert service["criticality"] == "TIER_1_CRITICAL"
        assert service["runbook_url"] == "https://wiki.example.com/redis"
        assert service["created_at"].endswith("Z")

    async def test_a_services_detail_is_the_listed_service(self, client, admin, db):
        team = await make_team(db, admin.org, "SRE Core")
        service = await make_service(db, admin.org, "redis-prod", team)

        response = await client.get(f"{SERVICES}{service.id}/", headers=admin.headers)

        assert response.status_code == 200
        assert (
            response.json()
            == (await client.get(SERVICES, headers=admin.headers)).json()["results"][0]
        )
        assert response.json()["owner_team"] == {"id": str(team.id), "name": "SRE Core"}


class TestCreate:
    async def test_defaults(self, client, admin):
        response = await client.post(SERVICES, headers=admin.headers, json={"name": "api"})

        assert response.status_code == 201, response.text
        body = response.json()
        assert body["owner_team"] is None
        assert body["criticality"] == "TIER_3_MEDIUM"
        assert body["runbook_url"] is None
        assert body["description"] == ""

    async def test_a_101_character_name_is_400_and_nothing_is_stored(self, client, admin):
        response = await client.post(SERVICES, headers=admin.headers, json={"name": "s" * 101})
        assert set(assert_error(response, 400, "validation_error")["details"]) == {"name"}
        assert await listed(client, admin) == []

    async def test_an_unknown_owner_team_is_400_on_owner_team(self, client, admin):
        response = await client.post(
            SERVICES, headers=admin.headers, json={"name": "api", "owner_team": str(uuid.uuid4())}
        )
        body = assert_error(response, 400, "validation_error")
        assert body["details"] == {"owner_team": ["Team with this ID does not exist."]}
        assert await listed(client, admin) == []

    async def test_another_organizations_team_is_400_on_owner_team(
        self, client, admin, outsider, db
    ):
        theirs = await make_team(db, outsider.org)
        response = await client.post(
            SERVICES, headers=admin.headers, json={"name": "api", "owner_team": str(theirs.id)}
        )
        assert set(assert_error(response, 400, "validation_error")["details"]) == {"owner_team"}
        assert await listed(client, admin) == []

    async def test_an_unknown_criticality_is_400(self, client, admin):
        response = await client.post(
            SERVICES, headers=admin.headers, json={"name": "api", "criticality": "TIER_0"}
        )
        assert set(assert_error(response, 400, "validation_error")["details"]) == {"criticality"}

    async def test_a_runbook_url_must_be_http(self, client, admin):
        for url in ("wiki/redis", "javascript:alert(1)", "ftp://x.example.com/a", "h" * 501):
            response = await client.post(
                SERVICES, headers=admin.headers, json={"name": "api", "runbook_url": url}
            )
            details = assert_error(response, 400, "validation_error")["details"]
            assert set(details) == {"runbook_url"}
        assert await listed(client, admin) == []

    async def test_a_duplicate_name_is_409(self, client, admin, db):
        await make_service(db, admin.org, "redis-prod")
        response = await client.post(SERVICES, headers=admin.headers, json={"name": "redis-prod"})
        body = assert_error(response, 409, "conflict")
        assert body["error"] == "Service already exists"
        assert await listed(client, admin) == ["redis-prod"]


class TestList:
    async def test_filters_search_and_ordering(self, client, admin, db):
        sre = await make_team(db, admin.org, "SRE")
        data = await make_team(db, admin.org, "Data")
        await make_service(db, admin.org, "redis-prod", sre, criticality="TIER_1_CRITICAL")
        await make_service(db, admin.org, "kafka", data, criticality="TIER_2_HIGH")
        await make_service(db, admin.org, "redis-staging", sre, criticality="TIER_4_LOW")

        assert await listed(client, admin, criticality="TIER_1_CRITICAL") == ["redis-prod"]
        assert await listed(client, admin, owner_team=str(sre.id)) == [
            "redis-prod",
            "redis-staging",
        ]
        assert await listed(client, admin, search="REDIS", ordering="-name") == [
            "redis-staging",
            "redis-prod",
        ]
        assert await listed(client, admin, ordering="criticality") == [
            "redis-prod",
            "kafka",
            "redis-staging",
        ]

    async def test_a_bad_filter_is_400(self, client, admin):
        for params in ({"criticality": "HIGH"}, {"owner_team": "abc"}, {"ordering": "owner"}):
            response = await client.get(SERVICES, params=params, headers=admin.headers)
            assert_error(response, 400, "validation_error")


class TestUpdate:
    async def test_patch_changes_only_what_it_sends(self, client, admin, db):
        team = await make_team(db, admin.org, "SRE")
        service = await make_service(
            db, admin.org, "api", team, runbook_url="https://wiki.example.com/api"
        )

        response = await client.patch(
            f"{SERVICES}{service.id}/", headers=admin.headers, json={"criticality": "TIER_2_HIGH"}
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["criticality"] == "TIER_2_HIGH"
        assert body["owner_team"] == {"id": str(team.id), "name": "SRE"}
        assert body["runbook_url"] == "https://wiki.example.com/api"
        assert body["updated_at"] > body["created_at"]

    async def test_patch_owner_team_null_removes_the_owner(self, client, admin, db):
        service = await make_service(db, admin.org, "api", await make_team(db, admin.org))
        response = await client.patch(
            f"{SERVICES}{service.id}/", headers=admin.headers, json={"owner_team": None}
        )
        assert response.json()["owner_team"] is None

    async def test_put_resets_what_it_omits(self, client, admin, db):
        team = await make_team(db, admin.org, "SRE")
        service = await make_service(
            db,
            admin.org,
            "api",
            team,
            criticality="TIER_1_CRITICAL",
            runbook_url="https://wiki.example.com/api",
            description="public API",
        )

        response = await client.put(
            f"{SERVICES}{service.id}/", headers=admin.headers, json={"name": "api-v2"}
        )

        body = response.json()
        assert body["name"] == "api-v2"
        assert body["owner_team"] is None
        assert body["criticality"] == "TIER_3_MEDIUM"
        assert body["runbook_url"] is None
        assert body["description"] == ""

    async def test_an_unknown_owner_team_changes_nothing(self, client, admin, db):
        team = await make_team(db, admin.org, "SRE")
        service = await make_service(db, admin.org, "api", team)
        before = (await client.get(f"{SERVICES}{service.id}/", headers=admin.headers)).json()

        response = await client.patch(
            f"{SERVICES}{service.id}/",
            headers=admin.headers,
            json={"name": "renamed", "owner_team": str(uuid.uuid4())},
        )

        assert set(assert_error(response, 400, "validation_error")["details"]) == {"owner_team"}
        after = await client.get(f"{SERVICES}{service.id}/", headers=admin.headers)
        assert after.json() == before

    async def test_renaming_to_a_taken_name_is_409_and_changes_nothing(self, client, admin, db):
        await make_service(db, admin.org, "taken")
        service = await make_service(db, admin.org, "mine")

        response = await client.patch(
            f"{SERVICES}{service.id}/",
            headers=admin.headers,
            json={"name": "taken", "criticality": "TIER_1_CRITICAL"},
        )

        assert assert_error(response, 409, "conflict")["error"] == "Service already exists"
        after = (await client.get(f"{SERVICES}{service.id}/", headers=admin.headers)).json()
        assert (after["name"], after["criticality"]) == ("mine", "TIER_3_MEDIUM")


class TestDelete:
    async def test_delete_answers_204_and_keeps_its_runbooks(self, client, admin, db):
        service = await make_service(db, admin.org)
        runbook = await make_runbook(db, admin.org, service=service)

        response = await client.delete(f"{SERVICES}{service.id}/", headers=admin.headers)

        assert response.status_code == 204
        gone = await client.get(f"{SERVICES}{service.id}/", headers=admin.headers)
        assert_error(gone, 404, "not_found")
        kept = await client.get(f"/api/v1/runbooks/{runbook.id}/", headers=admin.headers)
        assert kept.json()["service"] is None

    async def test_a_service_with_incidents_cannot_be_deleted(self, client, admin, db):
        service = await make_service(db, admin.org, "redis-prod")
        async with acting_for(db, admin.org) as session:
            session.add(
                Incident(
                    short_id="INC-T3ST01",
                    title="Redis down",
                    service_id=service.id,
                    detected_at=utcnow(),
                )
            )

        response = await client.delete(f"{SERVICES}{service.id}/", headers=admin.headers)

        body = assert_error(response, 409, "in_use")
        assert body["error"] == "Service in use"
        assert "incidents" in body["message"]
        assert await listed(client, admin) == ["redis-prod"]


class TestAccess(AccessChecks):
    path = SERVICES

    async def make(self, db: Database, org: Organization) -> uuid.UUID:
        return (await make_service(db, org)).id

    def body(self) -> dict[str, Any]:
        return {"name": f"s-{uuid.uuid4().hex[:8]}", "criticality": "TIER_2_HIGH"}
