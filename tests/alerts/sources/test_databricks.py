"""Databricks: the seed's Azure Monitor alert about a cluster, and the webhook notifications
Databricks jobs send."""

from __future__ import annotations

import copy

import pytest

from imas.alerts.exceptions import InvalidPayload
from imas.alerts.sources import registry
from tests.alerts.factories import make_integration
from tests.alerts.helpers import alert_detail, alerts, counts, incident, incidents, post
from tests.alerts.payloads import SEED_DATABRICKS, databricks_job
from tests.helpers import assert_error
from tests.incidents.factories import make_service


def parse(payload, **overrides):
    return registry.configured("databricks", {}, overrides).parse(payload)


@pytest.fixture
async def etl(db, admin):
    return await make_service(db, admin.org, "nightly-etl")


@pytest.fixture
async def platform(db, admin):
    return await make_service(db, admin.org, "data-platform")


@pytest.fixture
async def dbx(db, admin, etl, platform):
    return await make_integration(db, admin.org, "databricks", default_service=platform.id)


class TestParseAzureMonitor:
    def test_the_seeds_cluster_alert(self):
        [alert] = parse(SEED_DATABRICKS)
        assert alert.status == "firing"
        assert alert.title == "databricks-cluster-failure"
        assert alert.severity == "SEV3_MEDIUM"  # Sev2
        assert alert.labels["error_type"] == "DatabricksClusterStartFailure"
        assert alert.labels["error_category"] == "InfrastructureError"
        assert alert.annotations["is_remediable"] == "true"
        assert alert.annotations["remediation_action"] == "restart_cluster"
        assert alert.annotations["search_query"] == (
            "DatabricksClusters | where clusterState == 'Error'"
        )
        assert alert.service_name is None  # the integration's default service then
        assert alert.raw == SEED_DATABRICKS
        [again] = parse(copy.deepcopy(SEED_DATABRICKS))
        assert again.fingerprint == alert.fingerprint

    def test_named_columns_give_the_run_the_job_and_the_cluster(self):
        payload = copy.deepcopy(SEED_DATABRICKS)
        table = payload["data"]["alertContext"]["SearchResults"]["tables"][0]
        table["columns"] = [
            {"name": "TimeGenerated", "type": "datetime"},
            {"name": "JobId", "type": "string"},
            {"name": "RunId", "type": "string"},
            {"name": "JobName", "type": "string"},
            {"name": "ClusterName", "type": "string"},
            {"name": "ErrorMessage", "type": "string"},
        ]
        table["rows"] = [
            ["2025-12-12T10:00:00Z", "42", "9001", "nightly-etl", "prod", "Java heap space"]
        ]
        [alert] = parse(payload)
        assert alert.fingerprint == "9001"
        assert alert.service_name == "nightly-etl"
        assert alert.title == "databricks-cluster-failure: nightly-etl failed (run 9001)"
        assert {k: alert.labels[k] for k in ("job_id", "run_id", "job_name", "cluster_name")} == {
            "job_id": "42",
            "run_id": "9001",
            "job_name": "nightly-etl",
            "cluster_name": "prod",
        }
        assert alert.labels["error_type"] == "OutOfMemoryError"


class TestParseJobNotifications:
    def test_a_failed_run(self):
        [alert] = parse(databricks_job())
        assert alert.fingerprint == "123456789"
        assert alert.status == "firing"
        assert alert.title == "Databricks job nightly-etl failed"
        assert alert.service_name == "nightly-etl"
        assert alert.labels == {
            "job_id": "516892700102118",
            "job_name": "nightly-etl",
            "run_id": "123456789",
            "workspace_id": "1234567890123456",
            "event_type": "jobs.on_failure",
            "alertname": "nightly-etl",
            "service": "nightly-etl",
            "error_type": "UnknownError",  # Databricks sends no error text
            "error_category": "Unknown",
        }
        assert alert.severity == "SEV3_MEDIUM"
        assert alert.raw == databricks_job()

    def test_what_a_sender_adds_is_read(self):
        event = databricks_job(
            error_message="java.lang.OutOfMemoryError: GC overhead limit exceeded",
            cluster_id="0123-456789-abcde",
            run_page_url="https://adb-1.azuredatabricks.net/#job/516892700102118/run/123456789",
            tags={"service": "data-platform", "team": "data"},
        )
        [alert] = parse(event)
        assert alert.labels["error_type"] == "OutOfMemoryError"
        assert alert.severity == "SEV2_HIGH"  # the classification's: no severity was sent
        assert alert.description == "java.lang.OutOfMemoryError: GC overhead limit exceeded"
        assert alert.service_name == "data-platform"
        assert alert.labels["cluster_id"] == "0123-456789-abcde"
        assert alert.labels["team"] == "data"
        assert alert.links == [event["run_page_url"]]
        [high] = parse({**event, "severity": "Sev1"})
        assert high.severity == "SEV2_HIGH"
        [mapped] = parse(event, outofmemoryerror="SEV1_CRITICAL")
        assert mapped.severity == "SEV1_CRITICAL"

    def test_a_tasks_failure_is_the_task_of_its_job_run(self):
        [alert] = parse(databricks_job(run_id="67890", parent_run_id="54321", task_key="load"))
        assert alert.fingerprint == "54321/load"
        assert alert.title == "Databricks task nightly-etl.load failed"
        assert alert.labels["run_id"] == "54321"
        assert alert.labels["task_run_id"] == "67890"

    def test_a_success_resolves_the_runs_failure_and_duration_warning(self):
        resolutions = parse(databricks_job("jobs.on_success"))
        assert [(a.fingerprint, a.status, a.update_only) for a in resolutions] == [
            ("123456789", "resolved", True),
            ("123456789#duration", "resolved", True),
        ]

    def test_warnings_are_alerts_of_their_own(self):
        [slow] = parse(databricks_job("jobs.on_duration_warning_threshold_exceeded"))
        assert slow.fingerprint == "123456789#duration"
        assert slow.title == "Databricks job nightly-etl is running longer than expected"
        assert slow.severity == "SEV3_MEDIUM"
        assert "error_type" not in slow.labels
        [backlog] = parse(databricks_job("jobs.on_streaming_backlog_exceeded"))
        assert backlog.fingerprint == "123456789#backlog"

    def test_a_start_is_no_alert(self):
        assert parse(databricks_job("jobs.on_start")) == []

    @pytest.mark.parametrize(
        "payload",
        [
            {},
            [],
            "jobs.on_failure",
            [databricks_job()],
            databricks_job("jobs.on_explosion"),
            {"event_type": "jobs.on_failure", "job": {"job_id": "1"}},
            {**databricks_job(), "run": {"run_id": ""}},
            {**databricks_job(), "job": {"name": "no id"}},
            {**SEED_DATABRICKS, "schemaId": "nope"},
        ],
    )
    def test_anything_else_is_an_invalid_payload(self, payload):
        with pytest.raises(InvalidPayload):
            parse(payload)


class TestReceiver:
    async def test_the_seeds_alert_answers_as_the_seed_shows(self, client, admin, dbx):
        body = (await post(client, dbx, SEED_DATABRICKS)).json()
        assert body["status"] == "created"
        assert body["error_type"] == "DatabricksClusterStartFailure"
        assert body["is_auto_remediable"] is True
        assert body["remediation_action"] == "restart_cluster"
        opened = await incident(client, admin, body["ticket_id"])
        assert opened["service"]["name"] == "data-platform"
        again = (await post(client, dbx, SEED_DATABRICKS)).json()
        assert again["status"] == "duplicate"
        assert again["existing_ticket"] == body["ticket_id"]

    async def test_failure_repeat_and_repair(self, client, admin, dbx):
        failed = (await post(client, dbx, databricks_job())).json()
        assert failed["status"] == "created"
        assert failed["run_id"] == "123456789"
        opened = await incident(client, admin, failed["ticket_id"])
        assert opened["service"]["name"] == "nightly-etl"
        again = (await post(client, dbx, databricks_job())).json()
        assert (again["status"], again["message"]) == ("duplicate", "Duplicate run_id detected")
        assert again["ticket_id"] == failed["ticket_id"]

        repaired = (await post(client, dbx, databricks_job("jobs.on_success"))).json()
        assert repaired["status"] == "resolved"  # the run's; it had no duration warning
        assert [t["status"] for t in repaired["tickets"]] == ["resolved", "ignored"]
        assert (await incident(client, admin, failed["ticket_id"]))["status"] == "MITIGATED"
        detail = await alert_detail(client, admin, failed["alerts"][0]["id"])
        assert detail["is_resolved"] is True

    async def test_failed_runs_of_one_job_share_a_ticket(self, client, admin, dbx):
        one = (await post(client, dbx, databricks_job(run_id="1"))).json()
        two = (await post(client, dbx, databricks_job(run_id="2"))).json()
        assert two["status"] == "created"
        assert one["ticket_id"] == two["ticket_id"]
        assert len(await alerts(client, admin)) == 2
        assert len(await incidents(client, admin)) == 1

    async def test_a_start_stores_nothing(self, client, db, dbx):
        body = (await post(client, dbx, databricks_job("jobs.on_start"))).json()
        assert body["received"] == 0
        assert body["status"] == "ignored"
        assert body["ticket_id"] is None
        assert await counts(db) == (0, 0)

    async def test_a_success_of_an_unknown_run_changes_nothing(self, client, db, dbx):
        body = (await post(client, dbx, databricks_job("jobs.on_success"))).json()
        assert body["status"] == "ignored"
        assert await counts(db) == (0, 0)

    @pytest.mark.parametrize(
        "payload",
        [{"event_type": "jobs.on_failure"}, databricks_job("jobs.on_fire"), ["x"]],
    )
    async def test_the_wrong_shape_is_400_and_stores_nothing(self, client, db, dbx, payload):
        response = await post(client, dbx, payload, expect=None)
        body = assert_error(response, 400, "invalid_payload")
        assert "databricks" in body["message"]
        assert await counts(db) == (0, 0)
