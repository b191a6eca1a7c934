"""`/api/v1/organizations/`: the organizations a user belongs to (seed: etl-platform-api)."""

from __future__ import annotations

import uuid
from datetime import datetime

from httpx import AsyncClient

from imas.db import Database
from tests.factories import Actor, make_actor
from tests.helpers import assert_error
from tests.orgs.helpers import bearer, login, without_id

URL = "/api/v1/organizations/"
SEED_BODY = {
    "name": "New Organization",
    "settings": {"timezone": "Europe/Paris", "default_retention_days": 365},
}


def detail_url(org_id: uuid.UUID | str) -> str:
    return f"{URL}{org_id}/"


async def create(client: AsyncClient, actor: Actor, **body: object) -> dict[str, object]:
    response = await client.post(URL, json=body, headers=actor.headers)
    assert response.status_code == 201, response.text
    return response.json()


class TestListOrganizations:
    async def test_shows_only_the_callers_organizations_with_the_seed_fields(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.get(URL, headers=admin.headers)

        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 1
        assert body["next"] is None
        assert body["previous"] is None
        [org] = body["results"]
        assert org["id"] == str(admin.org.id)
        assert org["name"] == admin.org.name
        assert org["slug"] == admin.org.slug
        assert org["created_at"].endswith("Z")
        datetime.fromisoformat(org["created_at"])
        assert org["settings"] == {"timezone": "UTC", "default_retention_days": 90}
        assert org["role"] == "admin"
        assert str(outsider.org.id) not in {o["id"] for o in body["results"]}

    async def test_shows_the_callers_role_in_each_organization(
        self, client: AsyncClient, viewer: Actor
    ) -> None:
        created = await create(client, viewer, name="Side Project")

        body = (await client.get(URL, headers=viewer.headers)).json()

        roles = {o["id"]: o["role"] for o in body["results"]}
        assert roles == {str(viewer.org.id): "viewer", created["id"]: "admin"}

    async def test_count_is_the_number_of_organizations_listed(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        await create(client, admin, name="Payments")
        await create(client, admin, name="Data Platform")

        everything = (await client.get(URL, headers=admin.headers)).json()
        searched = (await client.get(URL, params={"search": "pay"}, headers=admin.headers)).json()

        assert everything["count"] == len(everything["results"]) == 3
        assert searched["count"] == len(searched["results"]) == 1

    async def test_pages_through_many_organizations(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        for name in ("Beta", "Gamma", "Delta"):
            await create(client, admin, name=name)

        first = (await client.get(URL, params={"page_size": 3}, headers=admin.headers)).json()
        assert first["count"] == 4
        assert len(first["results"]) == 3
        assert first["previous"] is None
        assert "page=2" in first["next"]

        second = (await client.get(first["next"], headers=admin.headers)).json()
        assert len(second["results"]) == 1
        assert second["next"] is None
        assert second["previous"] is not None
        seen = {o["id"] for o in first["results"] + second["results"]}
        assert len(seen) == 4

    async def test_a_page_past_the_end_is_not_found(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        response = await client.get(URL, params={"page": 5}, headers=admin.headers)

        assert_error(response, 404, "invalid_page")

    async def test_requires_a_credential(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.get(URL)

        assert_error(response, 401, "not_authenticated")


class TestCreateOrganization:
    async def test_creates_from_the_seed_example(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.post(URL, json=SEED_BODY, headers=admin.headers)

        assert response.status_code == 201
        org = response.json()
        uuid.UUID(org["id"])
        assert org["name"] == "New Organization"
        assert org["slug"] == "new-organization"
        assert org["settings"] == {"timezone": "Europe/Paris", "default_retention_days": 365}
        assert org["created_at"].endswith("Z")
        assert org["role"] == "admin"

    async def test_new_organization_appears_in_the_creators_list(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        org = await create(client, admin, **SEED_BODY)

        body = (await client.get(URL, headers=admin.headers)).json()

        roles = {o["id"]: o["role"] for o in body["results"]}
        assert roles == {str(admin.org.id): "admin", org["id"]: "admin"}

    async def test_creator_can_log_in_to_it_and_is_its_only_admin(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        org = await create(client, admin, **SEED_BODY)

        headers = await bearer(client, admin.user.username, admin.password, org["slug"])
        users = (await client.get("/api/v1/users/", headers=headers)).json()
        me = (await client.get("/api/v1/users/me/", headers=headers)).json()

        assert users["count"] == 1
        assert users["results"][0]["username"] == admin.user.username
        assert users["results"][0]["role"] == "admin"
        assert me["organization"] == {"id": org["id"], "name": org["name"], "slug": org["slug"]}
        assert "admin" in me["permissions"]

    async def test_other_users_cannot_log_in_to_it(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        org = await create(client, admin, **SEED_BODY)

        response = await login(client, outsider.user.username, outsider.password, org["slug"])

        assert_error(response, 403, "permission_denied")

    async def test_settings_default_to_utc_and_90_days(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        org = await create(client, admin, name="Defaults")

        assert org["settings"] == {"timezone": "UTC", "default_retention_days": 90}

    async def test_slug_is_derived_from_the_name(self, client: AsyncClient, admin: Actor) -> None:
        org = await create(client, admin, name="  Acme Corp — Paris & Lyon!  ")

        assert org["slug"] == "acme-corp-paris-lyon"

    async def test_a_derived_slug_already_taken_gets_a_suffix(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        first = await create(client, outsider, name="Acme Corp")
        second = await create(client, admin, name="Acme Corp")

        assert first["slug"] == "acme-corp"
        assert second["slug"].startswith("acme-corp-")
        assert second["slug"] != first["slug"]

    async def test_an_explicit_slug_can_be_chosen(self, client: AsyncClient, admin: Actor) -> None:
        org = await create(client, admin, name="Acme Corp", slug="acme")

        assert org["slug"] == "acme"

    async def test_an_explicit_slug_already_taken_is_a_conflict(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.post(
            URL, json={"name": "Copycat", "slug": outsider.org.slug}, headers=admin.headers
        )

        body = assert_error(response, 409, "conflict")
        assert body["error"] == "Organization already exists"
        assert "slug" in body["details"]
        listed = (await client.get(URL, headers=admin.headers)).json()
        assert listed["count"] == 1

    async def test_an_unknown_timezone_is_rejected(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.post(
            URL,
            json={"name": "Mars Base", "settings": {"timezone": "Mars/Olympus_Mons"}},
            headers=admin.headers,
        )

        body = assert_error(response, 400, "validation_error")
        assert "settings.timezone" in body["details"]
        assert "settings.timezone" in body["message"]

    async def test_a_retention_out_of_range_is_rejected(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        response = await client.post(
            URL,
            json={"name": "Forgetful", "settings": {"default_retention_days": 0}},
            headers=admin.headers,
        )

        body = assert_error(response, 400, "validation_error")
        assert "settings.default_retention_days" in body["details"]

    async def test_a_name_is_required(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.post(URL, json={"settings": {}}, headers=admin.headers)

        body = assert_error(response, 400, "validation_error")
        assert "name" in body["details"]

    async def test_a_malformed_slug_is_rejected(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.post(
            URL, json={"name": "Acme", "slug": "Not A Slug"}, headers=admin.headers
        )

        body = assert_error(response, 400, "validation_error")
        assert "slug" in body["details"]

    async def test_nothing_is_created_when_the_body_is_invalid(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        await client.post(
            URL, json={"name": "Bad", "settings": {"timezone": "Nowhere"}}, headers=admin.headers
        )

        listed = (await client.get(URL, headers=admin.headers)).json()
        assert listed["count"] == 1

    async def test_requires_a_credential(self, client: AsyncClient) -> None:
        response = await client.post(URL, json=SEED_BODY)

        assert_error(response, 401, "not_authenticated")


class TestGetOrganization:
    async def test_an_organization_of_the_caller_is_shown(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        response = await client.get(detail_url(admin.org.id), headers=admin.headers)

        assert response.status_code == 200
        org = response.json()
        assert org["id"] == str(admin.org.id)
        assert org["slug"] == admin.org.slug
        assert org["settings"] == {"timezone": "UTC", "default_retention_days": 90}
        assert org["role"] == "admin"

    async def test_a_viewer_sees_their_role(self, client: AsyncClient, viewer: Actor) -> None:
        org = (await client.get(detail_url(viewer.org.id), headers=viewer.headers)).json()

        assert org["role"] == "viewer"

    async def test_another_organization_is_not_found(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.get(detail_url(outsider.org.id), headers=admin.headers)

        body = assert_error(response, 404, "not_found")
        assert outsider.org.name not in response.text
        assert outsider.org.slug not in response.text
        assert body["details"]["resource"] == "organization"

    async def test_another_organization_looks_exactly_like_a_missing_one(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        missing = uuid.uuid4()

        foreign = await client.get(detail_url(outsider.org.id), headers=admin.headers)
        absent = await client.get(detail_url(missing), headers=admin.headers)

        assert foreign.status_code == absent.status_code == 404
        assert without_id(foreign.json(), outsider.org.id) == without_id(absent.json(), missing)

    async def test_an_id_that_is_not_a_uuid_is_a_validation_error(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        response = await client.get(detail_url("acme"), headers=admin.headers)

        body = assert_error(response, 400, "validation_error")
        assert "org_id" in body["details"]

    async def test_requires_a_credential(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.get(detail_url(admin.org.id))

        assert_error(response, 401, "not_authenticated")


class TestUpdateOrganization:
    async def test_an_admin_renames_it(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.patch(
            detail_url(admin.org.id), json={"name": "Renamed"}, headers=admin.headers
        )

        assert response.status_code == 200
        org = response.json()
        assert org["name"] == "Renamed"
        assert org["slug"] == admin.org.slug
        assert org["settings"] == {"timezone": "UTC", "default_retention_days": 90}
        shown = (await client.get(detail_url(admin.org.id), headers=admin.headers)).json()
        assert shown["name"] == "Renamed"

    async def test_an_admin_changes_its_settings(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.patch(
            detail_url(admin.org.id),
            json={"settings": {"timezone": "America/New_York", "default_retention_days": 30}},
            headers=admin.headers,
        )

        assert response.status_code == 200
        assert response.json()["settings"] == {
            "timezone": "America/New_York",
            "default_retention_days": 30,
        }
        assert response.json()["name"] == admin.org.name

    async def test_a_viewer_may_not_change_it(
        self, client: AsyncClient, admin: Actor, viewer: Actor
    ) -> None:
        response = await client.patch(
            detail_url(viewer.org.id), json={"name": "Hijacked"}, headers=viewer.headers
        )

        assert_error(response, 403, "permission_denied")
        shown = (await client.get(detail_url(admin.org.id), headers=admin.headers)).json()
        assert shown["name"] == admin.org.name

    async def test_a_responder_may_not_change_it(
        self, client: AsyncClient, responder: Actor
    ) -> None:
        response = await client.patch(
            detail_url(responder.org.id), json={"name": "Hijacked"}, headers=responder.headers
        )

        assert_error(response, 403, "permission_denied")

    async def test_an_admin_token_limited_to_reading_may_not_change_it(
        self, client: AsyncClient, db: Database, admin: Actor
    ) -> None:
        reader = await make_actor(db, org=admin.org, role="admin", scopes=["incident:read"])

        response = await client.patch(
            detail_url(admin.org.id), json={"name": "Hijacked"}, headers=reader.headers
        )

        assert_error(response, 403, "permission_denied")
        shown = (await client.get(detail_url(admin.org.id), headers=admin.headers)).json()
        assert shown["name"] == admin.org.name

    async def test_another_organization_is_not_found_and_stays_unchanged(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.patch(
            detail_url(outsider.org.id), json={"name": "Hijacked"}, headers=admin.headers
        )

        assert_error(response, 404, "not_found")
        theirs = (await client.get(detail_url(outsider.org.id), headers=outsider.headers)).json()
        assert theirs["name"] == outsider.org.name

    async def test_an_unknown_timezone_is_rejected(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.patch(
            detail_url(admin.org.id),
            json={"settings": {"timezone": "Europe/Atlantis"}},
            headers=admin.headers,
        )

        body = assert_error(response, 400, "validation_error")
        assert "settings.timezone" in body["details"]

    async def test_an_empty_name_is_rejected(self, client: AsyncClient, admin: Actor) -> None:
        response = await client.patch(
            detail_url(admin.org.id), json={"name": ""}, headers=admin.headers
        )

        body = assert_error(response, 400, "validation_error")
        assert "name" in body["details"]


class TestSearchAndOrdering:
    async def test_search_matches_name_or_slug_case_insensitively(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        await create(client, admin, name="Payments Team", slug="pay")
        await create(client, admin, name="Data Platform", slug="lakehouse")
        await create(client, admin, name="Search Infra", slug="search")

        by_name = await client.get(URL, params={"search": "PAYMENTS"}, headers=admin.headers)
        by_slug = await client.get(URL, params={"search": "lakeh"}, headers=admin.headers)

        assert [o["name"] for o in by_name.json()["results"]] == ["Payments Team"]
        assert [o["name"] for o in by_slug.json()["results"]] == ["Data Platform"]

    async def test_search_treats_wildcards_literally(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        await create(client, admin, name="Alpha")

        response = await client.get(URL, params={"search": "%"}, headers=admin.headers)

        assert response.json()["count"] == 0

    async def test_search_never_finds_other_organizations(
        self, client: AsyncClient, admin: Actor, outsider: Actor
    ) -> None:
        response = await client.get(
            URL, params={"search": outsider.org.name}, headers=admin.headers
        )

        assert response.json()["count"] == 0

    async def test_ordering_by_descending_name(self, client: AsyncClient, admin: Actor) -> None:
        for name in ("Bravo", "Alpha", "Charlie"):
            await create(client, admin, name=name)

        response = await client.get(
            URL, params={"ordering": "-name", "search": "a"}, headers=admin.headers
        )

        assert [o["name"] for o in response.json()["results"]] == ["Charlie", "Bravo", "Alpha"]

    async def test_ordered_by_name_by_default(self, client: AsyncClient, admin: Actor) -> None:
        for name in ("Zulu", "Alpha", "Mike"):
            await create(client, admin, name=name)

        response = await client.get(URL, headers=admin.headers)

        names = [o["name"] for o in response.json()["results"]]
        assert names == sorted(names)

    async def test_an_unknown_ordering_field_is_rejected(
        self, client: AsyncClient, admin: Actor
    ) -> None:
        response = await client.get(URL, params={"ordering": "-secret"}, headers=admin.headers)

        body = assert_error(response, 400, "validation_error")
        assert "ordering" in body["details"]
