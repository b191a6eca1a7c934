"""Listing incidents: filters, search, ordering, pagination and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from imas.incidents.models import Incident
from tests.helpers import assert_error
from tests.incidents.factories import make_incident, make_service


@pytest.fixture
async def spread(client, db, admin, redis, sre_team):
    """Five incidents over five days, in several states, services, teams and tags."""
    api = await make_service(db, admin.org, "api-gateway")
    specs = [
        ("Redis Cluster Down", redis, "SEV1_CRITICAL", None, ["database"]),
        ("API latency", api, "SEV2_HIGH", "acknowledge", []),
        ("Cache misses", redis, "SEV3_MEDIUM", "resolve", ["database", "cache"]),
        ("Gateway 502s", api, "SEV1_CRITICAL", "mitigate", []),
        ("Slow checkout", api, "SEV4_LOW", None, ["customer-impact"]),
    ]
    made = {}
    for day, (title, service, severity, action, tags) in enumerate(specs):
        incident = await make_incident(
            db,
            admin.org,
            admin.user,
            service,
            title=title,
            severity=severity,
            tags=tags,
            assigned_team=sre_team.id if service is redis else None,
            description="nodes unreachable" if "Redis" in title else "",
        )
        if action:
            await client.post(f"/api/v1/incidents/{incident.id}/{action}/", headers=admin.headers)
        async with db.transaction() as session:
            await session.execute(
                update(Incident)
                .where(Incident.id == incident.id)
                .values(created_at=datetime(2026, 3, 1 + day, 12, tzinfo=UTC))
                .execution_options(all_orgs=True)
            )
        made[title] = incident
    return made


async def titles(client, admin, query: str) -> list[str]:
    response = await client.get(f"/api/v1/incidents/?{query}", headers=admin.headers)
    assert response.status_code == 200, response.text
    return [i["title"] for i in response.json()["results"]]


class TestFilters:
    async def test_newest_first_by_default(self, client, admin, spread):
        assert await titles(client, admin, "") == [
            "Slow checkout",
            "Gateway 502s",
            "Cache misses",
            "API latency",
            "Redis Cluster Down",
        ]

    @pytest.mark.parametrize("value", ["triggered", "TRIGGERED", "Triggered"])
    async def test_status_is_case_insensitive(self, client, admin, spread, value):
        assert await titles(client, admin, f"status={value}") == [
            "Slow checkout",
            "Redis Cluster Down",
        ]

    async def test_several_statuses(self, client, admin, spread):
        assert await titles(client, admin, "status=acknowledged,mitigated") == [
            "Gateway 502s",
            "API latency",
        ]

    async def test_severity(self, client, admin, spread):
        assert await titles(client, admin, "severity=SEV1_CRITICAL") == [
            "Gateway 502s",
            "Redis Cluster Down",
        ]

    async def test_service(self, client, admin, spread, redis):
        assert await titles(client, admin, f"service={redis.id}") == [
            "Cache misses",
            "Redis Cluster Down",
        ]

    async def test_assigned_team_by_id_or_name(self, client, admin, spread, sre_team):
        expected = ["Cache misses", "Redis Cluster Down"]
        assert await titles(client, admin, f"assigned_team={sre_team.id}") == expected
        assert await titles(client, admin, "assigned_team=SRE Core") == expected

    async def test_tag(self, client, admin, spread):
        assert await titles(client, admin, "tag=database") == ["Cache misses", "Redis Cluster Down"]

    async def test_search_title_and_description(self, client, admin, spread):
        assert await titles(client, admin, "search=unreachable") == ["Redis Cluster Down"]
        assert await titles(client, admin, "search=GATEWAY") == ["Gateway 502s"]

    async def test_created_at_range(self, client, admin, spread):
        query = "created_at__gte=2026-03-02T00:00:00Z&created_at__lte=2026-03-03T23:59:59Z"
        assert await titles(client, admin, query) == ["Cache misses", "API latency"]

    async def test_ordering(self, client, admin, spread):
        assert (await titles(client, admin, "ordering=severity,-created_at"))[:2] == [
            "Gateway 502s",
            "Redis Cluster Down",
        ]
        assert (await titles(client, admin, "ordering=created_at"))[0] == "Redis Cluster Down"

    async def test_filters_combine(self, client, admin, spread, redis):
        assert await titles(client, admin, f"service={redis.id}&status=resolved&tag=cache") == [
            "Cache misses"
        ]

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ("status=open", "status"),
            ("severity=SEV9", "severity"),
            ("service=not-a-uuid", "service"),
            ("created_at__gte=yesterday", "created_at__gte"),
            ("ordering=password", "ordering"),
            ("format=xml", "format"),
        ],
    )
    async def test_bad_filters_are_400(self, client, admin, query, field):
        response = await client.get(f"/api/v1/incidents/?{query}", headers=admin.headers)
        body = assert_error(response, 400, "validation_error")
        assert field in body["details"]

    async def test_pagination(self, client, admin, spread):
        first = (await client.get("/api/v1/incidents/?page_size=2", headers=admin.headers)).json()
        assert first["count"] == 5
        assert len(first["results"]) == 2
        third = (
            await client.get("/api/v1/incidents/?page_size=2&page=3", headers=admin.headers)
        ).json()
        assert [i["title"] for i in third["results"]] == ["Redis Cluster Down"]
        assert third["next"] is None


class TestCsv:
    async def test_csv_is_the_same_selection(self, client, admin, spread):
        query = "status=triggered,resolved&ordering=created_at"
        page = (await client.get(f"/api/v1/incidents/?{query}", headers=admin.headers)).json()
        response = await client.get(f"/api/v1/incidents/?{query}&format=csv", headers=admin.headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["Short ID"] for r in rows] == [i["short_id"] for i in page["results"]]
        assert [r["Status"] for r in rows] == [i["status"] for i in page["results"]]
        assert rows[0]["Service"] == "redis-prod"
        assert rows[0]["Priority"] == "P1"
        assert rows[0]["Assigned Team"] == "SRE Core"

    async def test_csv_streams_more_than_a_page(self, client, admin, db, redis):
        for n in range(130):
            await make_incident(db, admin.org, admin.user, redis, title=f"bulk {n:03d}")
        response = await client.get("/api/v1/incidents/?format=csv", headers=admin.headers)
        assert len(response.text.strip().splitlines()) == 131

    async def test_csv_never_shows_another_org(self, client, admin, outsider, db):
        theirs = await make_service(db, outsider.org, "their-service")
        await make_incident(db, outsider.org, outsider.user, theirs, title="Their secret outage")
        response = await client.get("/api/v1/incidents/?format=csv", headers=admin.headers)
        assert "Their secret outage" not in response.text

    async def test_a_time_without_offset_is_utc(self, client, admin, spread):
        query = "created_at__gte=2026-03-02T00:00:00&created_at__lte=2026-03-03T23:59:59"
        assert await titles(client, admin, query) == ["Cache misses", "API latency"]

    async def test_cells_that_look_like_formulas_stay_text(self, client, admin, db, redis):
        await make_incident(db, admin.org, admin.user, redis, title='=HYPERLINK("http://evil")')
        response = await client.get("/api/v1/incidents/?format=csv", headers=admin.headers)
        [row] = list(csv.DictReader(io.StringIO(response.text)))
        assert row["Title"] == '\'=HYPERLINK("http://evil")'

    async def test_created_since_yesterday_with_offset_time(self, client, admin, db, redis):
        await make_incident(db, admin.org, admin.user, redis, title="fresh")
        since = (datetime.now(UTC) - timedelta(days=1)).astimezone().isoformat()
        response = await client.get(
            "/api/v1/incidents/", headers=admin.headers, params={"created_at__gte": since}
        )
        assert [i["title"] for i in response.json()["results"]] == ["fresh"]
