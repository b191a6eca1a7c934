"""The similar-incident search keeps the most selective words of an incident, and ranks a
bounded number of candidates."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from imas.rca import search
from tests.incidents.factories import _in, make_service
from tests.rca.factories import open_incident, resolved


async def similar(client, actor, short_id):
    response = await client.get(f"/api/v1/incidents/{short_id}/similar/", headers=actor.headers)
    assert response.status_code == 200, response.text
    return [r["short_id"] for r in response.json()["results"]]


async def collect_statistics(db):
    """PostgreSQL's word counts are the planner's statistics: what autovacuum would gather."""
    if db.dialect == "postgresql":
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE incidents"))


class TestSelective:
    def test_the_rarest_words_within_the_budget_in_their_order(self):
        counts = {"pool": 100, "kafka": 3, "lag": 10, "during": 5000}
        assert search.selective(["pool", "kafka", "during", "lag"], counts, 120) == [
            "pool",
            "kafka",
            "lag",
        ]
        assert search.selective(["pool", "kafka", "during", "lag"], counts, 20) == ["kafka", "lag"]

    def test_the_rarest_word_even_over_the_budget(self):
        assert search.selective(["during", "seen"], {"during": 500, "seen": 400}, 10) == ["seen"]

    def test_a_word_in_no_incident_is_left_out(self):
        assert search.selective(["pool", "zebra"], {"pool": 3, "zebra": 0}, 100) == ["pool"]
        assert search.selective(["zebra"], {"zebra": 0}, 100) == []

    def test_a_word_of_unknown_count_is_taken_for_a_rare_one(self):
        assert search.selective(["pool", "during"], {"during": 10**6}, 100) == ["pool"]


class TestSimilarWords:
    async def test_a_rare_shared_word_finds_the_incident_among_common_ones(
        self, client, db, admin, monkeypatch
    ):
        service = await make_service(db, admin.org, "checkout")
        for n in range(8):
            await resolved(db, admin.org, service, f"Checkout latency on web-{n}", None, None, 60)
        kafka = await resolved(
            db,
            admin.org,
            service,
            "Kafka consumer lag on billing",
            "Slow consumer",
            "Rolled back",
            600,
        )
        short_id = await open_incident(
            client, admin, service, "Checkout latency after kafka rebalance"
        )
        await collect_statistics(db)
        monkeypatch.setattr(search, "POSTINGS_BUDGET", 5)  # "checkout", "latency" are common

        assert await similar(client, admin, short_id) == [kafka.short_id]
        response = await client.post(
            f"/api/v1/incidents/{short_id}/analyze/", headers=admin.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["analysis"]["root_causes"][0] == "Slow consumer"

    async def test_common_words_still_search_when_no_rare_one_is_shared(
        self, client, db, admin, monkeypatch
    ):
        service = await make_service(db, admin.org, "checkout")
        made = [
            await resolved(db, admin.org, service, f"Checkout latency on web-{n}", None, None, 60)
            for n in range(4)
        ]
        short_id = await open_incident(client, admin, service, "Checkout latency")
        await collect_statistics(db)
        monkeypatch.setattr(search, "POSTINGS_BUDGET", 2)

        assert set(await similar(client, admin, short_id)) == {i.short_id for i in made}

    async def test_only_the_most_recent_candidates_are_ranked(self, client, db, admin, monkeypatch):
        service = await make_service(db, admin.org, "storage")
        made = [  # resolved one after the other
            await resolved(db, admin.org, service, f"Disk full on db-{n}", None, None, 60 * n)
            for n in range(1, 5)
        ]
        short_id = await open_incident(client, admin, service, "Disk full on db-9")
        monkeypatch.setattr(search, "CANDIDATES", 2)

        assert set(await similar(client, admin, short_id)) == {i.short_id for i in made[2:]}


async def test_sqlite_counts_words_as_its_index_stems_them(db, admin):
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL's counts are estimates of common words")
    service = await make_service(db, admin.org, "checkout")
    for title in ("Connection refused", "Connections dropped", "Disk full"):
        await resolved(db, admin.org, service, title, None, None, 60)
    async with db.transaction() as session, _in(session, admin.org):
        counts = await search.documents(session, ["connections", "connection", "disk", "zebra"])
    assert counts == {"connections": 2, "connection": 2, "disk": 1, "zebra": 0}
