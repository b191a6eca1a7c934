"""Azure Monitor's common alert schema: the seed's Data Factory alert and Microsoft's samples
in, normalized alerts, incidents and the seed's answers out."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from imas.alerts.exceptions import InvalidPayload
from imas.alerts.sources import registry
from tests.alerts.factories import make_integration, make_silence
from tests.alerts.helpers import alert_detail, alerts, counts, incident, incidents, post
from tests.alerts.payloads import (
    AZURE_LOG_ANALYTICS,
    AZURE_LOG_V2,
    AZURE_METRIC_RESOLVED,
    SEED_AZURE_MONITOR,
    adf_row,
    adf_rows,
    azure_fired,
)
from tests.helpers import assert_error
from tests.incidents.factories import make_service

ALERT_ID = AZURE_METRIC_RESOLVED["data"]["essentials"]["alertId"]


def parse(payload, options=None, **overrides):
    return registry.configured("azure-monitor", options or {}, overrides).parse(payload)


def without_severity(payload):
    out = copy.deepcopy(payload)
    del out["data"]["essentials"]["severity"]
    return out


@pytest.fixture
async def pipeline(db, admin):
    """The service the seed's Data Factory pipeline names."""
    return await make_service(db, admin.org, "pipeline-name")


@pytest.fixture
async def vms(db, admin):
    return await make_service(db, admin.org, "vms")


@pytest.fixture
async def az(db, admin, pipeline, vms):
    return await make_integration(db, admin.org, "azure-monitor", default_service=vms.id)


class TestParse:
    def test_the_seeds_data_factory_alert_is_one_alert_per_failed_run(self):
        [alert] = parse(SEED_AZURE_MONITOR)
        assert alert.fingerprint == "run-id-12345"
        assert alert.status == "firing"
        assert alert.title == "adf-pipeline-failure-alert: pipeline-name failed (run run-id-12345)"
        assert alert.description == "Source blob not found"
        assert alert.severity == "SEV3_MEDIUM"
        assert alert.service_name == "pipeline-name"
        assert alert.labels == {
            "alertname": "adf-pipeline-failure-alert",
            "severity": "Sev3",
            "signal_type": "Log",
            "monitoring_service": "Log Analytics",
            "service": "pipeline-name",
            "run_id": "run-id-12345",
            "pipeline": "pipeline-name",
            "activity": "Copy Activity",
            "error_code": "2200",
            "error_type": "FileNotFoundError",
            "error_category": "DataError",
        }
        assert alert.annotations["search_query"] == "ADFPipelineRun | where Status == 'Failed'"
        assert alert.annotations["error_message"] == "Source blob not found"
        assert alert.annotations["is_remediable"] == "false"
        assert "upstream data" in alert.annotations["suggested_action"]
        assert alert.starts_at == datetime(2025, 12, 12, 10, 0, tzinfo=UTC)
        assert alert.links == []  # the seed's target id is elided ("/subscriptions/...")
        assert alert.raw == SEED_AZURE_MONITOR

    def test_microsofts_sample_resolved_and_fired(self):
        [fired] = parse(azure_fired())
        [done] = parse(AZURE_METRIC_RESOLVED)
        assert fired.fingerprint == done.fingerprint == ALERT_ID
        assert (fired.status, done.status) == ("firing", "resolved")
        assert fired.title == done.title == "WCUS-R2-Gen2"
        assert fired.starts_at == datetime(2019, 3, 22, 13, 58, 24, 371321, tzinfo=UTC)
        assert fired.ends_at is None
        assert done.ends_at == datetime(2019, 3, 22, 14, 3, 16, 224631, tzinfo=UTC)
        assert fired.labels["resource"] == "wcus-r2-gen2"
        assert fired.labels["ResourceId"] == "3efad9dc-3d50-4eac-9c87-8b3fd6f97e4e"
        assert fired.labels["error_type"] == "UnknownError"
        assert fired.service_name == "wcus-r2-gen2"
        assert fired.severity == "SEV3_MEDIUM"
        [portal, resource] = fired.links
        assert portal.startswith("https://portal.azure.com/#blade/Microsoft_Azure_Monitoring")
        assert portal.endswith("b9569717-bc32-442f-add5-83a997729330")
        assert resource.startswith("https://portal.azure.com/#resource/subscriptions/")
        assert resource.endswith("/virtualmachines/wcus-r2-gen2")

    def test_a_log_search_alert_without_runs_is_one_alert(self):
        [alert] = parse(AZURE_LOG_ANALYTICS)
        assert alert.fingerprint == AZURE_LOG_ANALYTICS["data"]["essentials"]["alertId"]
        assert alert.title == "Perf-Processor-Time"
        assert alert.description == "Processor time above threshold"
        assert alert.labels["Computer"] == "INC-Gen2Alert"
        assert alert.annotations["search_query"].startswith("Perf | where ObjectName")
        context = AZURE_LOG_ANALYTICS["data"]["alertContext"]
        assert context["LinkToFilteredSearchResultsUI"] in alert.links
        assert not any("api.loganalytics.io" in link for link in alert.links)
        assert alert.severity == "SEV3_MEDIUM"  # Sev2
        # The rows are samples of the condition, not the alert: it started when it fired.
        assert alert.starts_at == datetime(2019, 3, 22, 13, 51, 31, 437321, tzinfo=UTC)

    def test_a_log_alerts_v2_alert(self):
        [alert] = parse(AZURE_LOG_V2)
        assert alert.fingerprint == AZURE_LOG_V2["data"]["essentials"]["alertId"]
        assert alert.annotations["search_query"] == "Heartbeat"
        assert alert.labels["name1"] == "value1"  # the rule's custom properties
        assert alert.labels["Computer"] == "TestComputer"
        assert alert.labels["resource"] == "testvm"
        assert alert.severity == "SEV4_LOW"
        part = AZURE_LOG_V2["data"]["alertContext"]["condition"]["allOf"][0]
        assert alert.links[-2:] == [
            part["linkToFilteredSearchResultsUI"],
            part["linkToSearchResultsUI"],
        ]

    @pytest.mark.parametrize(
        ("severity", "expected"),
        [
            ("Sev0", "SEV1_CRITICAL"),
            ("Sev1", "SEV2_HIGH"),
            ("Sev2", "SEV3_MEDIUM"),
            ("Sev3", "SEV3_MEDIUM"),
            ("Sev4", "SEV4_LOW"),
        ],
    )
    def test_severity(self, severity, expected):
        [alert] = parse(azure_fired(severity=severity))
        assert alert.severity == expected

    def test_the_integration_overrides_the_severity_table(self):
        [alert] = parse(SEED_AZURE_MONITOR, sev3="SEV1_CRITICAL")
        assert alert.severity == "SEV1_CRITICAL"

    def test_without_a_severity_the_classification_gives_it(self):
        payload = without_severity(adf_rows(adf_row("r1", "java.lang.OutOfMemoryError")))
        [alert] = parse(payload)
        assert alert.labels["error_type"] == "OutOfMemoryError"
        assert alert.severity == "SEV2_HIGH"
        [overridden] = parse(payload, outofmemoryerror="SEV1_CRITICAL")
        assert overridden.severity == "SEV1_CRITICAL"

    def test_each_run_of_the_results_is_an_alert_of_its_own(self):
        payload = adf_rows(
            adf_row("r1", "Source blob not found"),
            adf_row("r2", "Connection refused", pipeline="other-pipeline"),
            adf_row("r1", "Source blob not found"),  # another activity of run r1
        )
        first, second = parse(payload)
        assert (first.fingerprint, second.fingerprint) == ("r1", "r2")
        assert (first.labels["error_type"], second.labels["error_type"]) == (
            "FileNotFoundError",
            "ConnectionError",
        )
        assert second.service_name == "other-pipeline"
        assert first.labels["alertname"] == second.labels["alertname"]

    def test_the_service_comes_from_a_custom_property(self):
        payload = azure_fired()
        payload["data"]["customProperties"] = {"service": "vms", "team": "infra"}
        [alert] = parse(payload)
        assert alert.service_name == "vms"
        assert alert.labels["team"] == "infra"
        payload["data"]["customProperties"] = {"app": "billing"}
        [renamed] = parse(payload, {"service_label": "app"})
        assert renamed.service_name == "billing"

    def test_without_an_alert_id_or_runs_the_fingerprint_is_stable(self):
        payload = copy.deepcopy(SEED_AZURE_MONITOR)
        payload["data"]["alertContext"]["SearchResults"]["tables"][0]["columns"] = []
        [a], [b] = parse(payload), parse(copy.deepcopy(payload))
        assert a.fingerprint == b.fingerprint
        assert len(a.fingerprint) == 32
        # Without names, the cells are still read for the error.
        assert a.labels["error_type"] == "FileNotFoundError"
        other = adf_rows(adf_row("r9", "other"))
        other["data"]["alertContext"]["SearchResults"]["tables"][0]["columns"] = []
        [c] = parse(other)
        assert c.fingerprint != a.fingerprint

    @pytest.mark.parametrize(
        "payload",
        [
            {},
            [],
            "Fired",
            {"schemaId": "azureMonitorCommonAlertSchema"},
            {**SEED_AZURE_MONITOR, "schemaId": "Microsoft.Insights/activityLogs"},
            {"schemaId": "azureMonitorCommonAlertSchema", "data": {"essentials": {}}},
            azure_fired(severity="High"),
            azure_fired(monitorCondition="Active"),
            azure_fired(firedDateTime="yesterday"),
        ],
    )
    def test_anything_else_is_an_invalid_payload(self, payload):
        with pytest.raises(InvalidPayload):
            parse(payload)


class TestReceiver:
    async def test_the_seeds_alert_opens_a_ticket(self, client, admin, az):
        body = (await post(client, az, SEED_AZURE_MONITOR)).json()
        [received] = body["alerts"]
        assert body["status"] == "created"
        assert body["ticket_id"] == received["incident"]
        assert body["ticket_id"].startswith("INC-")
        assert body["run_id"] == "run-id-12345"
        assert body["error_type"] == "FileNotFoundError"
        assert body["error_classification"]["category"] == "DataError"
        assert body["is_auto_remediable"] is False
        opened = await incident(client, admin, body["ticket_id"])
        assert opened["service"]["name"] == "pipeline-name"
        assert opened["severity"] == "SEV3_MEDIUM"
        detail = await alert_detail(client, admin, received["id"])
        assert detail["raw_payload"] == SEED_AZURE_MONITOR
        assert detail["labels"]["error_type"] == "FileNotFoundError"

    async def test_a_run_reported_again_is_a_duplicate(self, client, admin, az):
        first = (await post(client, az, SEED_AZURE_MONITOR)).json()
        again = (await post(client, az, SEED_AZURE_MONITOR)).json()
        assert again["status"] == "duplicate"
        assert again["message"] == "Duplicate run_id detected"
        assert again["ticket_id"] == again["existing_ticket"] == first["ticket_id"]
        assert again["alerts"][0]["deduplicated"] is True
        detail = await alert_detail(client, admin, first["alerts"][0]["id"])
        assert detail["occurrence_count"] == 2
        assert len(await incidents(client, admin)) == 1

    async def test_the_resolved_notification_mitigates(self, client, admin, az):
        fired = (await post(client, az, azure_fired())).json()
        assert fired["status"] == "created"
        opened = await incident(client, admin, fired["ticket_id"])
        assert opened["service"]["name"] == "vms"  # the integration's default service
        done = (await post(client, az, AZURE_METRIC_RESOLVED)).json()
        assert done["status"] == "resolved"
        assert done["alerts"][0]["id"] == fired["alerts"][0]["id"]
        assert (await incident(client, admin, fired["ticket_id"]))["status"] == "MITIGATED"

    async def test_several_runs_in_one_alert_share_a_ticket(self, client, admin, az):
        payload = adf_rows(adf_row("r1", "Source blob not found"), adf_row("r2", "timed out"))
        body = (await post(client, az, payload)).json()
        assert body["received"] == 2
        assert body["status"] == "created"
        assert [t["run_id"] for t in body["tickets"]] == ["r1", "r2"]
        assert [t["error_type"] for t in body["tickets"]] == ["FileNotFoundError", "TimeoutError"]
        assert body["ticket_id"] == body["tickets"][0]["ticket_id"]
        assert len(await alerts(client, admin)) == 2
        assert len(await incidents(client, admin)) == 1
        # r2 again with a new run r3: r2 is a duplicate, r3 joins the open ticket.
        again = adf_rows(adf_row("r2", "timed out"), adf_row("r3", "timed out"))
        body = (await post(client, az, again)).json()
        assert [t["status"] for t in body["tickets"]] == ["duplicate", "created"]
        assert len(await incidents(client, admin)) == 1

    async def test_an_action_group_posts_the_key_as_a_token_parameter(self, client, db, az):
        response = await client.post(f"{az.url}?token={az.key}", json=SEED_AZURE_MONITOR)
        assert response.status_code == 200, response.text
        assert await counts(db) == (1, 1)

    async def test_a_silenced_alert_makes_no_ticket(self, client, db, admin, az):
        await make_silence(
            db, admin.org, admin.user, [{"name": "pipeline", "value": "pipeline-name"}]
        )
        body = (await post(client, az, SEED_AZURE_MONITOR)).json()
        assert body["status"] == "silenced"
        assert body["ticket_id"] is None
        assert await counts(db) == (1, 0)

    @pytest.mark.parametrize(
        "payload",
        [
            {"hello": "world"},
            {**SEED_AZURE_MONITOR, "schemaId": "AzureMonitorMetricAlert"},
            azure_fired(severity="Critical"),
        ],
    )
    async def test_the_wrong_shape_is_400_and_stores_nothing(self, client, db, az, payload):
        response = await post(client, az, payload, expect=None)
        body = assert_error(response, 400, "invalid_payload")
        assert "azure-monitor" in body["message"]
        assert await counts(db) == (0, 0)
