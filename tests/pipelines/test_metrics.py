"""`/api/v1/metrics/system/` and `/api/v1/metrics/pipelines/{id}/` on a fixed set of runs whose
every figure is computed by hand below.

"Now" is Monday 2025-06-16 12:30 UTC. Each finished run started 10 s after it was created.

Pipeline "Daily Data Sync" (active):

| run | created | status | duration (s) | rows |
|---|---|---|---|---|
| R0 | 06-09 10:00 (before the 7 days) | succeeded | 5000 | 99999 |
| R1 | 06-09 14:00 | succeeded | 600 | 6000 |
| R2 | 06-10 02:00 | succeeded | 900 | 9000 |
| R3 | 06-10 14:00 | failed | 300 | 100 |
| R4 | 06-11 02:00 | succeeded | 1200 | 24000 |
| -- | 06-12 | (nothing: an empty bucket) | | |
| R5 | 06-13 02:00 | succeeded | 800 | 8000 |
| R6 | 06-14 02:00 | cancelled | 50 | 0 |
| R7 | 06-15 02:00 | succeeded | 1000 | 20000 |
| R8 | 06-16 02:00 | succeeded | 700.5 | 14010 |
| R9 | 06-16 12:00 | running | - | - |
| R10 | 06-16 12:20 | queued | - | - |

Pipeline "Hourly Sync" (active): Q1 failed (finished today 08:00, 121 s, 7 rows), Q2 succeeded
(finished yesterday 23:00, 60 s, 500 rows), Q3 cancelled (finished today 09:00, 40 rows), Q4
waiting, Q5 retrying, Q6 pending approval. A draft and a paused pipeline without runs; a
remediation run (no pipeline) running. Another organization has an active pipeline with runs of
every kind, none of which any figure may count.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from imas.auth.scopes import INCIDENT_READ, PIPELINE_READ
from imas.automation.models import Run
from imas.db import Database
from imas.pipelines.models import Pipeline
from tests.factories import make_actor
from tests.helpers import assert_error
from tests.incidents.factories import _in

NOW = datetime(2025, 6, 16, 12, 30, tzinfo=UTC)
SYSTEM = "/api/v1/metrics/system/"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _now(monkeypatch):
    monkeypatch.setattr("imas.pipelines.routes.metrics.utcnow", lambda: NOW)


async def _pipeline(db: Database, org, name: str, status: str = "active") -> Pipeline:
    async with db.transaction() as session, _in(session, org):
        pipeline = Pipeline(organization_id=org.id, name=name, status=status)
        session.add(pipeline)
    return pipeline


def _r(
    pipeline_id: Any,
    created: datetime,
    status: str,
    seconds: float | None = None,
    rows: int | None = None,
    *,
    finished: datetime | None = None,
    action: str = "pipeline",
) -> dict[str, Any]:
    return {
        "pipeline_id": pipeline_id,
        "created": created,
        "status": status,
        "seconds": seconds,
        "rows": rows,
        "finished": finished,
        "action": action,
    }


async def _runs(db: Database, org, runs: list[dict[str, Any]]) -> None:
    """Runs from specs: `created`, `status`, and `seconds` (start to finish), `finished` (when
    known; else `seconds` after the start), `rows` (the result's total_rows_processed). A run
    starts 10 s after its creation unless it never started (queued, pending approval)."""
    async with db.transaction() as session, _in(session, org):
        for spec in runs:
            spec = dict(spec)
            created: datetime = spec.pop("created")
            seconds = spec.pop("seconds", None)
            rows = spec.pop("rows", None)
            finished = spec.pop("finished", None)
            started = None
            if spec["status"] not in ("queued", "pending_approval"):
                started = created + timedelta(seconds=10)
            if finished is not None and seconds is not None:
                started = finished - timedelta(seconds=seconds)
            elif seconds is not None and started is not None:
                finished = started + timedelta(seconds=seconds)
            session.add(
                Run(
                    organization_id=org.id,
                    action=spec.pop("action", "pipeline"),
                    created_at=created,
                    started_at=started,
                    finished_at=finished,
                    result={} if rows is None else {"total_rows_processed": rows},
                    **spec,
                )
            )


@pytest.fixture
async def data(db: Database, admin) -> dict[str, Pipeline]:
    sync = await _pipeline(db, admin.org, "Daily Data Sync")
    hourly = await _pipeline(db, admin.org, "Hourly Sync")
    draft = await _pipeline(db, admin.org, "Draft", status="draft")
    await _pipeline(db, admin.org, "Paused", status="paused")
    p = sync.id
    await _runs(
        db,
        admin.org,
        [
            _r(p, at(9, 10), "succeeded", 5000, 99999),
            _r(p, at(9, 14), "succeeded", 600, 6000),
            _r(p, at(10, 2), "succeeded", 900, 9000),
            _r(p, at(10, 14), "failed", 300, 100),
            _r(p, at(11, 2), "succeeded", 1200, 24000),
            _r(p, at(13, 2), "succeeded", 800, 8000),
            _r(p, at(14, 2), "cancelled", 50, 0),
            _r(p, at(15, 2), "succeeded", 1000, 20000),
            _r(p, at(16, 2), "succeeded", 700.5, 14010),
            _r(p, at(16, 12), "running"),
            _r(p, at(16, 12, 20), "queued"),
        ],
    )
    q = hourly.id
    await _runs(
        db,
        admin.org,
        [
            _r(q, at(16, 7), "failed", 121, 7, finished=at(16, 8)),
            _r(q, at(15, 22), "succeeded", 60, 500, finished=at(15, 23)),
            _r(q, at(16, 8), "cancelled", None, 40, finished=at(16, 9)),
            _r(q, at(16, 11), "waiting"),
            _r(q, at(16, 11, 30), "retrying"),
            _r(q, at(16, 11, 40), "pending_approval"),
            _r(None, at(16, 12), "running", action="restart_service"),
        ],
    )
    stranger = await make_actor(db)
    theirs = await _pipeline(db, stranger.org, "Daily Data Sync")
    await _runs(
        db,
        stranger.org,
        [
            _r(theirs.id, at(16, 1), "succeeded", 10, 1_000_000),
            _r(theirs.id, at(16, 3), "failed", 20, 5),
            _r(theirs.id, at(16, 12), "running"),
            _r(theirs.id, at(16, 12), "queued"),
        ],
    )
    return {"sync": sync, "hourly": hourly, "draft": draft, "theirs": theirs}


async def _get(client, actor, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, headers=actor.headers, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _path(pipeline: Pipeline) -> str:
    return f"/api/v1/metrics/pipelines/{pipeline.id}/"


class TestSystem:
    async def test_every_figure(self, client, admin, data):
        assert await _get(client, admin, SYSTEM) == {
            "active_pipelines": 2,
            "running_executions": 2,  # R9, Q4 (not the remediation run)
            "queued_tasks": 2,  # R10, Q5 (not Q6, pending approval)
            "success_rate_24h": 0.6667,  # R8 and Q2 succeeded, Q1 failed
            "average_execution_time": 294,  # (700.5 + 60 + 121) / 3 = 293.83
            "total_data_processed_today": 14057,  # R8 14010 + Q1 7 + Q3 40
        }

    async def test_rows_beyond_32_bits(self, client, db, data):
        newcomer = await make_actor(db)
        big = await _pipeline(db, newcomer.org, "Big")
        await _runs(db, newcomer.org, [_r(big.id, at(16, 1), "succeeded", 3600, 3_000_000_000)])
        body = await _get(client, newcomer, SYSTEM)
        assert body["total_data_processed_today"] == 3_000_000_000
        figures = (await _get(client, newcomer, _path(big)))["metrics"]
        assert figures["total_rows_processed"] == 3_000_000_000
        assert figures["average_throughput"] == round(3_000_000_000 / 3600, 3)

    async def test_an_organization_without_pipelines(self, client, db, data):
        newcomer = await make_actor(db)
        assert await _get(client, newcomer, SYSTEM) == {
            "active_pipelines": 0,
            "running_executions": 0,
            "queued_tasks": 0,
            "success_rate_24h": 0.0,
            "average_execution_time": 0,
            "total_data_processed_today": 0,
        }


def _point(day: int, hour: int, executions: int, rate: float, duration: float) -> dict[str, Any]:
    return {
        "timestamp": at(day, hour).isoformat().replace("+00:00", "Z"),
        "executions": executions,
        "success_rate": rate,
        "avg_duration": duration,
    }


class TestPipeline:
    async def test_seven_days_by_the_day_by_default(self, client, admin, data):
        body = await _get(client, admin, _path(data["sync"]))
        assert body["pipeline_id"] == str(data["sync"].id)
        assert body["period"] == "7d"
        assert body["granularity"] == "day"
        assert body["metrics"] == {
            "total_executions": 10,  # R1-R10
            "successful_executions": 6,
            "failed_executions": 1,
            "success_rate": 0.8571,  # 6 / 7
            # finished: 300, 600, 700.5, 800, 900, 1000, 1200
            "average_duration": 785.786,  # 5500.5 / 7
            "median_duration": 800.0,  # position 3
            "p95_duration": 1140.0,  # position 5.7: 1000 + 0.7 * 200
            "total_rows_processed": 81110,
            "average_throughput": 15.577,  # 81010 rows / 5200.5 s
        }
        assert body["timeline"] == [
            _point(9, 0, 1, 1.0, 600.0),  # R1 (R0 is before the period)
            _point(10, 0, 2, 0.5, 600.0),  # R2, R3
            _point(11, 0, 1, 1.0, 1200.0),
            _point(12, 0, 0, 0.0, 0.0),  # empty
            _point(13, 0, 1, 1.0, 800.0),
            _point(14, 0, 1, 0.0, 0.0),  # cancelled: nothing finished
            _point(15, 0, 1, 1.0, 1000.0),
            _point(16, 0, 3, 1.0, 700.5),  # R8, R9 running, R10 queued
        ]

    async def test_thirty_days(self, client, admin, data):
        body = await _get(client, admin, _path(data["sync"]), period="30d")
        figures = body["metrics"]
        assert figures["total_executions"] == 11
        assert figures["successful_executions"] == 7
        assert figures["failed_executions"] == 1
        assert figures["success_rate"] == 0.875
        assert figures["average_duration"] == pytest.approx(10500.5 / 8, abs=1e-3)
        assert figures["median_duration"] == 850.0  # position 3.5: (800 + 900) / 2
        assert figures["p95_duration"] == 3670.0  # position 6.65: 1200 + 0.65 * 3800
        assert figures["total_rows_processed"] == 81110 + 99999
        assert figures["average_throughput"] == round((81010 + 99999) / 10200.5, 3)
        assert len(body["timeline"]) == 31  # 05-17 ... 06-16
        assert body["timeline"][0]["timestamp"] == "2025-05-17T00:00:00Z"
        assert sum(p["executions"] for p in body["timeline"]) == 11

    async def test_a_day_by_the_hour(self, client, admin, data):
        body = await _get(client, admin, _path(data["sync"]), period="24h")
        assert body["granularity"] == "hour"
        assert body["metrics"] == {
            "total_executions": 3,  # R8, R9, R10
            "successful_executions": 1,
            "failed_executions": 0,
            "success_rate": 1.0,
            "average_duration": 700.5,
            "median_duration": 700.5,
            "p95_duration": 700.5,
            "total_rows_processed": 14010,
            "average_throughput": 20.0,
        }
        timeline = body["timeline"]
        assert len(timeline) == 25  # 06-15 12:00 ... 06-16 12:00
        assert timeline[0] == _point(15, 12, 0, 0.0, 0.0)
        busy = {p["timestamp"]: p for p in timeline if p["executions"]}
        assert busy == {
            "2025-06-16T02:00:00Z": _point(16, 2, 1, 1.0, 700.5),
            "2025-06-16T12:00:00Z": _point(16, 12, 2, 0.0, 0.0),
        }

    async def test_an_hour_by_the_minute(self, client, admin, data):
        body = await _get(client, admin, _path(data["sync"]), period="1h", granularity="minute")
        timeline = body["timeline"]
        assert len(timeline) == 61  # 11:30 ... 12:30
        assert timeline[0]["timestamp"] == "2025-06-16T11:30:00Z"
        assert timeline[-1]["timestamp"] == "2025-06-16T12:30:00Z"
        busy = [(p["timestamp"], p["executions"]) for p in timeline if p["executions"]]
        assert busy == [("2025-06-16T12:00:00Z", 1), ("2025-06-16T12:20:00Z", 1)]
        assert body["metrics"]["total_executions"] == 2
        assert body["metrics"]["success_rate"] == 0.0
        assert body["metrics"]["median_duration"] == 0.0

    async def test_the_period_starts_exactly_one_period_ago(self, client, admin, data):
        body = await _get(client, admin, _path(data["hourly"]), period="1h")
        assert body["metrics"]["total_executions"] == 2  # Q5 (11:30 sharp), Q6; not Q4 (11:00)
        assert [p["executions"] for p in body["timeline"]] == [2, 0]  # 11:00 and 12:00

    async def test_a_pipeline_without_runs(self, client, admin, data):
        body = await _get(client, admin, _path(data["draft"]), period="24h", granularity="day")
        assert body["metrics"] == {
            "total_executions": 0,
            "successful_executions": 0,
            "failed_executions": 0,
            "success_rate": 0.0,
            "average_duration": 0.0,
            "median_duration": 0.0,
            "p95_duration": 0.0,
            "total_rows_processed": 0,
            "average_throughput": 0.0,
        }
        assert body["timeline"] == [_point(15, 0, 0, 0.0, 0.0), _point(16, 0, 0, 0.0, 0.0)]

    @pytest.mark.parametrize(
        "params",
        [
            {"period": "2w"},
            {"granularity": "second"},
            {"period": "30d", "granularity": "minute"},  # 43,201 buckets
            {"period": "7d", "granularity": "minute"},
        ],
    )
    async def test_bad_parameters_are_400(self, client, admin, data, params):
        response = await client.get(_path(data["sync"]), headers=admin.headers, params=params)
        assert_error(response, 400, "validation_error")


class TestAccess:
    async def test_without_a_credential_is_401(self, client, data):
        for path in (SYSTEM, _path(data["sync"])):
            assert_error(await client.get(path), 401, "not_authenticated")

    async def test_a_token_without_pipeline_read_is_403(self, client, db, admin, data):
        limited = await make_actor(db, org=admin.org, role="admin", scopes=[INCIDENT_READ])
        for path in (SYSTEM, _path(data["sync"])):
            body = assert_error(
                await client.get(path, headers=limited.headers), 403, "permission_denied"
            )
            assert body["details"] == {"required_scope": PIPELINE_READ}

    async def test_a_viewer_reads(self, client, db, admin, data):
        viewer = await make_actor(db, org=admin.org, role="viewer")
        assert (await client.get(SYSTEM, headers=viewer.headers)).status_code == 200

    async def test_another_organizations_pipeline_is_404(self, client, admin, data):
        assert_error(
            await client.get(_path(data["theirs"]), headers=admin.headers), 404, "not_found"
        )

    async def test_an_unknown_pipeline_is_404(self, client, admin, data):
        response = await client.get(
            "/api/v1/metrics/pipelines/00000000-0000-0000-0000-000000000000/",
            headers=admin.headers,
        )
        assert_error(response, 404, "not_found")

    async def test_the_incident_metrics_still_answer(self, client, admin, data):
        response = await client.get("/api/v1/metrics/summary/", headers=admin.headers)
        assert response.status_code == 200, response.text
