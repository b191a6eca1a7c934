"""Lists page the DRF way: count/next/previous/results, page_size capped at 100."""

from __future__ import annotations

import pytest
from sqlalchemy import insert

from imas.orgs.models import Membership, Role, User
from tests.helpers import assert_error


@pytest.fixture
async def crowded_org(db, admin):
    """The admin's organization with 120 more members (inserted in bulk, no hashing)."""
    users = [{"username": f"member{i:03d}", "name": f"Member {i}"} for i in range(120)]
    async with db.transaction() as session:
        ids = (await session.execute(insert(User).returning(User.id), users)).scalars().all()
        await session.execute(
            insert(Membership),
            [{"organization_id": admin.org.id, "user_id": uid, "role": Role.VIEWER} for uid in ids],
        )
    return admin


class TestPageSize:
    async def test_default_page_is_20(self, client, crowded_org):
        body = (await client.get("/api/v1/users/", headers=crowded_org.headers)).json()
        assert body["count"] == 121
        assert len(body["results"]) == 20
        assert body["previous"] is None
        assert body["next"].endswith("page=2")

    async def test_page_size_1000_is_capped_at_100(self, client, crowded_org):
        response = await client.get("/api/v1/users/?page_size=1000", headers=crowded_org.headers)
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"]) == 100
        assert "page=2" in body["next"]

    async def test_walking_next_links_visits_every_row_once(self, client, crowded_org):
        seen: list[str] = []
        url: str | None = "/api/v1/users/?page_size=50&ordering=-username"
        while url:
            body = (await client.get(url, headers=crowded_org.headers)).json()
            seen += [u["username"] for u in body["results"]]
            url = body["next"]
        assert len(seen) == 121
        assert len(set(seen)) == 121
        assert seen == sorted(seen, reverse=True)

    async def test_previous_link_of_page_2(self, client, crowded_org):
        body = (await client.get("/api/v1/users/?page=2", headers=crowded_org.headers)).json()
        assert "page=1" in body["previous"]


class TestBadPages:
    @pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5"])
    async def test_bad_page_is_400(self, client, admin, page):
        response = await client.get(f"/api/v1/users/?page={page}", headers=admin.headers)
        body = assert_error(response, 400, "validation_error")
        assert "page" in body["details"]

    @pytest.mark.parametrize("size", ["0", "abc"])
    async def test_bad_page_size_is_400(self, client, admin, size):
        response = await client.get(f"/api/v1/users/?page_size={size}", headers=admin.headers)
        body = assert_error(response, 400, "validation_error")
        assert "page_size" in body["details"]

    async def test_page_past_the_end_is_404(self, client, admin):
        response = await client.get("/api/v1/users/?page=5", headers=admin.headers)
        body = assert_error(response, 404, "invalid_page")
        assert body["error"] == "Invalid page"

    async def test_first_page_of_nothing_is_empty_not_404(self, client, admin):
        response = await client.get("/api/v1/users/?search=nobody-matches", headers=admin.headers)
        assert response.status_code == 200
        assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


class TestOrderingAndSearch:
    async def test_unknown_ordering_field_is_400_and_lists_the_allowed_ones(self, client, admin):
        response = await client.get("/api/v1/users/?ordering=password_hash", headers=admin.headers)
        body = assert_error(response, 400, "validation_error")
        assert "username" in body["details"]["ordering"][0]

    async def test_search_treats_wildcards_literally(self, client, crowded_org):
        response = await client.get("/api/v1/users/?search=%25", headers=crowded_org.headers)
        assert response.json()["count"] == 0
        response = await client.get("/api/v1/users/?search=member11", headers=crowded_org.headers)
        assert response.json()["count"] == 10
