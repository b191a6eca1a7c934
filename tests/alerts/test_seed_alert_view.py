"""Seed 003's alert view on `/api/v1/alerts/`: a failed data pipeline run reported to
`/api/v1/webhooks/etl/` is listed with `level`, `alert_type`, `message`, `pipeline_run` and
`metadata`, filtered by them, and resolved with `PATCH {"is_resolved", "resolution_note"}`."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.alerts.factories import Hook, make_integration
from tests.alerts.helpers import alert_detail, alerts, post
from tests.alerts.payloads import alertmanager, am_alert
from tests.helpers import assert_error

PATH = "/api/v1/alerts/"
SEED_FIELDS = {"level", "alert_type", "message", "pipeline_run", "metadata"}


def failure(pipeline: str, run_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "pipeline": {"id": str(uuid.uuid5(uuid.NAMESPACE_DNS, pipeline)), "name": pipeline},
        "run_id": run_id,
        "status": "failed",
        **fields,
    }


@pytest.fixture
async def etl(db, admin) -> Hook:
    return await make_integration(db, admin.org, "etl", name="data-pipelines")


@pytest.fixture
async def runs(client, admin, etl, am) -> dict[str, str]:
    """Two failed pipeline runs (an error, a critical one) and an Alertmanager alert."""
    sync, billing = str(uuid.uuid4()), str(uuid.uuid4())
    await post(
        client,
        etl,
        failure(
            "Daily Data Sync",
            sync,
            error_code="CONNECTION_TIMEOUT",
            message="connection timeout",
            retry_count=3,
        ),
    )
    await post(client, etl, failure("Billing", billing, severity="critical"))
    await post(client, am, alertmanager(am_alert("HighLatency", summary="Latency is high")))
    return {"sync": sync, "billing": billing}


class TestView:
    async def test_a_failed_run_as_the_seed_lists_it(self, client, admin, runs):
        rows = await alerts(
            client, admin, alert_type="pipeline_failed", level="error", is_resolved="false"
        )
        assert len(rows) == 1
        alert = rows[0]
        assert {k: alert[k] for k in (*SEED_FIELDS, "is_resolved")} == {
            "level": "error",
            "alert_type": "pipeline_failed",
            "message": "Pipeline 'Daily Data Sync' failed: connection timeout",
            "pipeline_run": runs["sync"],
            "is_resolved": False,
            "metadata": {"error_code": "CONNECTION_TIMEOUT", "retry_count": 3},
        }
        assert alert["created_at"].endswith("Z")
        # Every field IMAS showed before is still there.
        assert alert["title"] == alert["message"]
        assert alert["severity"] == "SEV2_HIGH"
        assert alert["source"] == "etl"
        assert alert["labels"]["pipeline_run"] == runs["sync"]
        assert alert["integration"]["kind"] == "etl"

    async def test_the_detail_shows_the_same(self, client, admin, runs):
        (row,) = await alerts(client, admin, pipeline_run=runs["billing"])
        detail = await alert_detail(client, admin, row["id"])
        assert {k: detail[k] for k in SEED_FIELDS} == {k: row[k] for k in SEED_FIELDS}
        assert detail["level"] == "critical"
        assert detail["metadata"] == {"error_code": "PIPELINE_EXECUTION_FAILED", "retry_count": 0}
        assert detail["raw_payload"]["run_id"] == runs["billing"]

    async def test_any_other_alert(self, client, admin, runs):
        (row,) = await alerts(client, admin, source="alertmanager")
        assert row["level"] == "critical"
        assert row["alert_type"] == "alertmanager"  # no alert_type label: the source kind
        assert row["message"] == row["title"]
        assert row["pipeline_run"] is None
        assert row["metadata"] == row["labels"]

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"level": "error"}, ["sync"]),
            ({"level": "critical"}, ["billing", "am"]),
            ({"level": "error,critical"}, ["sync", "billing", "am"]),
            ({"level": "Warning"}, []),
            ({"alert_type": "pipeline_failed"}, ["sync", "billing"]),
            ({"alert_type": "alertmanager"}, ["am"]),
            ({"alert_type": "alertmanager,pipeline_failed"}, ["sync", "billing", "am"]),
            ({"alert_type": "etl"}, []),  # shown as pipeline_failed, so not etl
            ({"pipeline_run": "sync"}, ["sync"]),
            ({"pipeline_run": "not-a-run"}, []),
            ({"alert_type": "pipeline_failed", "level": "critical"}, ["billing"]),
            ({"created_at__gte": "2000-01-01T00:00:00Z", "level": "error"}, ["sync"]),
            ({"created_at__gte": "2999-01-01T00:00:00Z", "level": "error"}, []),
        ],
    )
    async def test_filters(self, client, admin, runs, params, expected):
        if params.get("pipeline_run") == "sync":
            params = {**params, "pipeline_run": runs["sync"]}
        names = {
            "Pipeline 'Daily Data Sync' failed: connection timeout": "sync",
            "Pipeline 'Billing' failed": "billing",
            "Latency is high": "am",
        }
        rows = await alerts(client, admin, **params)
        assert sorted(names[r["message"]] for r in rows) == sorted(expected)

    async def test_an_unknown_level_is_400(self, client, admin, runs):
        response = await client.get(PATH, headers=admin.headers, params={"level": "fatal"})
        body = assert_error(response, 400, "validation_error")
        assert "level" in body["details"]

    async def test_another_organization_sees_none(self, client, outsider, runs):
        assert await alerts(client, outsider, pipeline_run=runs["sync"]) == []
        assert await alerts(client, outsider, alert_type="pipeline_failed") == []


class TestResolve:
    async def test_as_the_seed_resolves(self, client, admin, runs):
        (row,) = await alerts(client, admin, pipeline_run=runs["sync"])
        note = "Connection issue fixed by restarting database service"
        response = await client.patch(
            f"{PATH}{row['id']}/",
            headers=admin.headers,
            json={"is_resolved": True, "resolution_note": note},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["is_resolved"] is True
        assert body["resolution_note"] == note
        assert body["resolved_at"] is not None
        assert body["alert_type"] == "pipeline_failed"
        unresolved = await alerts(
            client, admin, alert_type="pipeline_failed", level="error", is_resolved="false"
        )
        assert unresolved == []
        (resolved,) = await alerts(client, admin, pipeline_run=runs["sync"], is_resolved="true")
        assert resolved["id"] == row["id"]
