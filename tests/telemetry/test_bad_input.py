"""Bad metrics answer seed 002's 400 `INVALID_REQUEST` (each bad point by index and field) and
store nothing; an oversized batch answers 413."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from imas.api.app import create_app
from tests.telemetry.helpers import METRICS, base_time, fetch, iso, point, send


async def nothing_stored(client, admin):
    at = base_time()
    body = await fetch(
        client, admin, start_time=iso(at - timedelta(days=2)), end_time=iso(at + timedelta(hours=3))
    )
    assert body["metrics"] == []


class TestInvalidPoints:
    @pytest.mark.parametrize("value", ["high", True, None, [1], {"v": 1}])
    async def test_a_non_numeric_value(self, client, admin, value):
        at = base_time()
        body = await send(
            client, admin, [point("cpu_usage", 1, at), point("cpu_usage", value, at)], expect=400
        )
        assert body["code"] == "INVALID_REQUEST"
        assert body["error"] == "The request is invalid"
        assert body["details"]["field"] == "value"
        assert body["details"]["errors"][0]["index"] == 1
        assert "request_id" in body
        await nothing_stored(client, admin)

    async def test_a_timestamp_far_in_the_future(self, client, admin):
        later = datetime.now(UTC) + timedelta(hours=1)
        body = await send(client, admin, [point("cpu_usage", 1, later)], expect=400)
        assert body["details"] == {
            "field": "timestamp",
            "error": "more than 300 s in the future",
            "errors": [
                {"index": 0, "field": "timestamp", "error": "more than 300 s in the future"}
            ],
        }
        await nothing_stored(client, admin)

    async def test_a_timestamp_older_than_the_retention(self, client, admin):
        old = datetime.now(UTC) - timedelta(days=400)
        body = await send(client, admin, [point("cpu_usage", 1, old)], expect=400)
        assert body["details"]["field"] == "timestamp"
        assert "retention" in body["details"]["error"]

    async def test_an_unreadable_timestamp(self, client, admin):
        bad = {**point("cpu_usage", 1, base_time()), "timestamp": "yesterday-ish"}
        body = await send(client, admin, [bad], expect=400)
        assert body["details"]["field"] == "timestamp"
        assert body["details"]["error"] == "Invalid datetime format"

    async def test_nan_and_infinity_in_json(self, client, admin):
        raw = '{"metrics": [{"name": "x", "value": NaN}, {"name": "x", "value": Infinity}]}'
        response = await client.post(
            METRICS, content=raw, headers={**admin.headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert [e["index"] for e in response.json()["details"]["errors"]] == [0, 1]
        assert math.isnan(float("nan"))  # (the policy: non-finite values are refused in JSON)

    async def test_every_bad_point_is_named(self, client, admin):
        at = base_time()
        body = await send(
            client,
            admin,
            [
                point("cpu_usage", "x", at),
                point("ok", 1, at),
                {"value": 1},
                point("bad name!", 1, at),
            ],
            expect=400,
        )
        assert [(e["index"], e["field"]) for e in body["details"]["errors"]] == [
            (0, "value"),
            (2, "name"),
            (3, "name"),
        ]
        assert body["message"].startswith("metrics[0].value")

    async def test_not_a_batch(self, client, admin):
        response = await client.post(METRICS, json={"metric": 1}, headers=admin.headers)
        assert response.status_code == 400
        assert response.json()["code"] == "INVALID_REQUEST"

    async def test_malformed_json(self, client, admin):
        response = await client.post(
            METRICS, content=b"{oops", headers={**admin.headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert response.json()["details"]["field"] == "body"

    async def test_an_infinite_exposition_sample(self, client, admin):
        response = await client.post(
            METRICS, content=b"up +Inf\n", headers={**admin.headers, "Content-Type": "text/plain"}
        )
        assert response.status_code == 400

    async def test_an_unknown_content_type(self, client, admin):
        response = await client.post(
            METRICS, content=b"<x/>", headers={**admin.headers, "Content-Type": "application/xml"}
        )
        assert response.status_code == 415


class TestBatchLimit:
    @pytest.fixture
    def app(self, make_settings, db):
        return create_app(make_settings(telemetry_max_batch=5), db)

    async def test_a_batch_over_the_limit_is_413_and_stores_nothing(self, client, admin):
        at = base_time()
        points = [point("cpu_usage", i, at + timedelta(seconds=i)) for i in range(6)]
        body = await send(client, admin, points, expect=413)
        assert body["code"] == "BATCH_TOO_LARGE"
        assert body["details"]["count"] == 6
        await nothing_stored(client, admin)

    async def test_the_limit_itself_is_fine(self, client, admin):
        at = base_time()
        points = [point("cpu_usage", i, at + timedelta(seconds=i)) for i in range(5)]
        assert (await send(client, admin, points))["accepted_count"] == 5

    async def test_the_limit_holds_for_exposition_too(self, client, admin):
        text = "".join(f'up{{i="{i}"}} 1\n' for i in range(6))
        response = await client.post(
            METRICS, content=text.encode(), headers={**admin.headers, "Content-Type": "text/plain"}
        )
        assert response.status_code == 413
