"""Submitting metrics (seed 002's JSON batch, Prometheus text) and fetching them back, raw and
bucketed by `step` with each aggregation; tag and type filters; tenancy and scopes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.factories import make_actor
from tests.telemetry.helpers import METRICS, base_time, fetch, iso, point, send, send_text


class TestSubmitJson:
    async def test_the_seeds_batch_is_accepted_and_read_back(self, client, admin):
        at = base_time()
        seed = {
            "name": "custom_metric",
            "value": 42.0,
            "unit": "count",
            "timestamp": iso(at),
            "tags": {"component": "api", "environment": "production"},
        }
        response = await client.post(METRICS, json={"metrics": [seed]}, headers=admin.headers)
        assert response.status_code == 200, response.text
        assert response.json()["message"] == "Metrics submitted successfully"
        assert response.json()["accepted_count"] == 1

        body = await fetch(
            client, admin, start_time=iso(at - timedelta(minutes=1)), end_time=iso(at)
        )
        assert body["total_count"] == 1
        [metric] = body["metrics"]
        assert metric["name"] == "custom_metric"
        assert metric["value"] == 42.0
        assert metric["unit"] == "count"
        assert metric["timestamp"].startswith(iso(at)[:19])
        assert metric["tags"] == {"component": "api", "environment": "production"}
        assert body["start_time"].startswith(iso(at - timedelta(minutes=1))[:19])

    async def test_the_seeds_client_with_a_bearer_token(self, client, admin):
        """Seed 002's JavaScript example: `Authorization: Bearer ...` and a JSON body."""
        headers = {"Authorization": f"Bearer {admin.token}", "Content-Type": "application/json"}
        body = {"metrics": [point("api_requests", 150, base_time(), endpoint="/api/users")]}
        response = await client.post(METRICS, json=body, headers=headers)
        assert response.status_code == 200, response.text
        listed = await client.get(METRICS, params={"name": "api_requests"}, headers=headers)
        assert listed.status_code == 200

    async def test_a_point_sent_twice_is_stored_once(self, client, admin):
        at = base_time()
        await send(client, admin, [point("cpu_usage", 1, at, host="a")])
        await send(client, admin, [point("cpu_usage", 2, at, host="a")])
        body = await fetch(client, admin, start_time=iso(at), end_time=iso(at))
        assert [m["value"] for m in body["metrics"]] == [2.0]

    async def test_batches_creating_the_same_series_at_once_share_it(self, client, admin):
        at = base_time()
        await asyncio.gather(
            *(
                send(client, admin, [point("disk_io", i, at + timedelta(seconds=i), host="a")])
                for i in range(4)
            )
        )
        body = await fetch(
            client,
            admin,
            name="disk_io",
            start_time=iso(at),
            end_time=iso(at + timedelta(minutes=1)),
        )
        assert body["series_count"] == 1
        assert sorted(m["value"] for m in body["metrics"]) == [0, 1, 2, 3]

    async def test_numeric_tag_values_are_text(self, client, admin):
        at = base_time()
        await send(client, admin, [{**point("http_requests", 1, at), "tags": {"status": 200}}])
        body = await fetch(client, admin, tags="status:200", start_time=iso(at), end_time=iso(at))
        assert [m["tags"] for m in body["metrics"]] == [{"status": "200"}]

    async def test_a_point_without_timestamp_is_now(self, client, admin):
        await send(client, admin, [{"name": "queue_depth", "value": 3}])
        body = await fetch(client, admin, name="queue_depth")
        assert [m["value"] for m in body["metrics"]] == [3.0]


class TestStepAggregation:
    @pytest.fixture
    async def minutes(self, client, admin):
        """Two hosts, a point every 15 s for 3 minutes: host a 0..11, host b 100..111."""
        at = base_time()
        points = [
            point("cpu_usage", i, at + timedelta(seconds=15 * i), host="a") for i in range(12)
        ]
        points += [
            point("cpu_usage", 100 + i, at + timedelta(seconds=15 * i), host="b") for i in range(12)
        ]
        assert (await send(client, admin, points))["accepted_count"] == 24
        return at

    async def query(self, client, admin, at, aggregation, **params):
        return await fetch(
            client,
            admin,
            name="cpu_usage",
            start_time=iso(at),
            end_time=iso(at + timedelta(minutes=3)),
            step="1m",
            aggregation=aggregation,
            **params,
        )

    @pytest.mark.parametrize(
        ("aggregation", "expected"),
        [
            ("avg", [1.5, 5.5, 9.5]),
            ("min", [0, 4, 8]),
            ("max", [3, 7, 11]),
            ("sum", [6, 22, 38]),
            ("count", [4, 4, 4]),
            ("p95", [2.85, 6.85, 10.85]),
            ("rate", [3 / 60, 4 / 60, 4 / 60]),
        ],
    )
    async def test_each_aggregation_per_minute(self, client, admin, minutes, aggregation, expected):
        body = await self.query(client, admin, minutes, aggregation, tags="host:a")
        assert body["step"] == 60
        assert body["aggregation"] == aggregation
        assert [m["value"] for m in body["metrics"]] == pytest.approx(expected)
        assert [m["timestamp"][:19] for m in body["metrics"]] == [
            iso(minutes + timedelta(minutes=i))[:19] for i in range(3)
        ]

    async def test_one_row_per_series_and_bucket(self, client, admin, minutes):
        body = await self.query(client, admin, minutes, "max")
        assert body["series_count"] == 2
        assert body["total_count"] == 6
        assert [(m["tags"]["host"], m["value"]) for m in body["metrics"]] == [
            ("a", 3),
            ("a", 7),
            ("a", 11),
            ("b", 103),
            ("b", 107),
            ("b", 111),
        ]

    async def test_a_counter_reset_is_not_a_negative_rate(self, client, admin):
        at = base_time()
        values = [10, 20, 30, 5, 15]
        await send(
            client,
            admin,
            [point("jobs_total", v, at + timedelta(seconds=10 * i)) for i, v in enumerate(values)],
        )
        body = await fetch(
            client,
            admin,
            name="jobs_total",
            start_time=iso(at),
            end_time=iso(at + timedelta(seconds=59)),
            step="60",
            aggregation="rate",
        )
        assert [m["value"] for m in body["metrics"]] == pytest.approx([(10 + 10 + 5 + 10) / 60])

    async def test_too_many_buckets_is_refused(self, client, admin):
        at = base_time()
        response = await client.get(
            METRICS,
            params={"start_time": iso(at - timedelta(days=30)), "end_time": iso(at), "step": "1"},
            headers=admin.headers,
        )
        assert response.status_code == 400
        assert response.json()["details"]["field"] == "step"


class TestPrometheusExposition:
    TEXT = """# HELP http_requests_total Requests served.
# TYPE http_requests_total counter
http_requests_total{method="GET",code="200"} 1027 %(t1)d
http_requests_total{method="GET",code="200"} 1087 %(t2)d
http_requests_total{method="POST",code="500"} 3 %(t1)d
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} NaN
rpc_duration_seconds_count 0 %(t1)d
"""

    async def test_samples_become_points_and_labels_tags(self, client, admin):
        at = base_time()
        t1 = int(at.timestamp() * 1000)
        t2 = int((at + timedelta(seconds=30)).timestamp() * 1000)
        result = await send_text(client, admin, self.TEXT % {"t1": t1, "t2": t2})
        assert result["accepted_count"] == 4
        assert result["skipped_count"] == 1  # the NaN quantile
        assert result["series_count"] == 3

        body = await fetch(
            client,
            admin,
            name="http_requests_total",
            tags="code:200",
            start_time=iso(at),
            end_time=iso(at + timedelta(minutes=1)),
            step="1m",
            aggregation="max",
        )
        [metric] = body["metrics"]
        assert metric["value"] == 1087
        assert metric["tags"] == {"method": "GET", "code": "200"}
        assert metric["metric_type"] == "http"

    async def test_a_sample_without_timestamp_is_now(self, client, admin):
        await send_text(client, admin, "up 1\n")
        body = await fetch(client, admin, name="up")
        assert [m["value"] for m in body["metrics"]] == [1.0]

    async def test_text_that_is_not_exposition_is_invalid(self, client, admin):
        body = await send_text(client, admin, "this is { not prometheus\n", expect=400)
        assert body["code"] == "INVALID_REQUEST"
        assert body["details"]["field"] == "body"


class TestFilters:
    async def test_by_tags_type_and_name(self, client, admin):
        at = base_time()
        await send(
            client,
            admin,
            [
                point("cpu_usage", 1, at, host="web-01", env="prod"),
                point("cpu_usage", 2, at, host="web-02", env="prod"),
                point("memory_used", 3, at, host="web-01", env="prod"),
            ],
        )
        window = {"start_time": iso(at), "end_time": iso(at)}

        async def values(**params):
            body = await fetch(client, admin, **window, **params)
            return sorted(m["value"] for m in body["metrics"])

        assert await values() == [1, 2, 3]
        assert await values(tags="host:web-01") == [1, 3]
        assert await values(tags=["host:web-01", "env:prod"], metric_type="cpu") == [1]
        assert await values(metric_type="memory") == [3]
        assert await values(name="cpu_usage", tags="host:nowhere") == []

    async def test_the_range_is_bounded(self, client, admin):
        at = base_time()
        await send(
            client, admin, [point("x_total", i, at + timedelta(minutes=i)) for i in range(5)]
        )
        body = await fetch(
            client,
            admin,
            start_time=iso(at + timedelta(minutes=1)),
            end_time=iso(at + timedelta(minutes=3)),
        )
        assert [m["value"] for m in body["metrics"]] == [1, 2, 3]

    async def test_a_bad_tag_filter_is_refused(self, client, admin):
        response = await client.get(METRICS, params={"tags": "nocolon"}, headers=admin.headers)
        assert response.status_code == 400
        assert response.json()["code"] == "INVALID_REQUEST"


class TestTenancy:
    async def test_another_orgs_points_are_invisible(self, client, admin, outsider):
        at = base_time()
        await send(client, outsider, [point("cpu_usage", 99, at, host="theirs")])
        await send(client, admin, [point("cpu_usage", 1, at, host="mine")])
        body = await fetch(client, admin, start_time=iso(at), end_time=iso(at))
        assert [m["tags"] for m in body["metrics"]] == [{"host": "mine"}]
        body = await fetch(client, admin, start_time=iso(at), end_time=iso(at), step="1m")
        assert [m["value"] for m in body["metrics"]] == [1]

    async def test_the_same_series_in_two_orgs_stays_apart(self, client, admin, outsider):
        at = base_time()
        await send(client, outsider, [point("cpu_usage", 99, at, host="a")])
        await send(client, admin, [point("cpu_usage", 1, at, host="a")])
        mine = await fetch(client, admin, start_time=iso(at), end_time=iso(at))
        theirs = await fetch(client, outsider, start_time=iso(at), end_time=iso(at))
        assert [m["value"] for m in mine["metrics"]] == [1]
        assert [m["value"] for m in theirs["metrics"]] == [99]


class TestAuth:
    async def test_no_credential_is_401(self, client):
        assert (await client.get(METRICS)).status_code == 401
        assert (await client.post(METRICS, json={"metrics": []})).status_code == 401

    async def test_a_viewer_reads_but_may_not_send(self, client, db, admin):
        viewer = await make_actor(db, admin.org, role="viewer")
        assert (await client.get(METRICS, headers=viewer.headers)).status_code == 200
        response = await client.post(METRICS, json={"metrics": []}, headers=viewer.headers)
        assert response.status_code == 403

    async def test_a_token_limited_to_incident_write_may_send(self, client, db, admin):
        sender = await make_actor(db, admin.org, role="responder", scopes=["incident:write"])
        await send(client, sender, [point("cpu_usage", 1, base_time())])
