"""Airflow: the seed's failure callback body in, classified alerts and the seed's answer out."""

from __future__ import annotations

import pytest

from imas.alerts.exceptions import InvalidPayload
from imas.alerts.sources import registry
from tests.alerts.factories import make_integration, make_silence
from tests.alerts.helpers import alert_detail, alerts, counts, incident, incidents, post
from tests.alerts.payloads import SEED_AIRFLOW, airflow
from tests.helpers import assert_error
from tests.incidents.factories import make_service

SEED_FINGERPRINT = "prod_etl_pipeline/manual__2025-12-12T10:00:00/extract_from_database"


def parse(payload, options=None, **overrides):
    return registry.configured("airflow", options or {}, overrides).parse(payload)


@pytest.fixture
async def etl(db, admin):
    """The service named like the seed's DAG."""
    return await make_service(db, admin.org, "prod_etl_pipeline")


@pytest.fixture
async def af(db, admin, etl):
    return await make_integration(db, admin.org, "airflow", name="airflow-prod")


class TestParse:
    def test_the_seeds_callback(self):
        [alert] = parse(SEED_AIRFLOW)
        assert alert.fingerprint == SEED_FINGERPRINT
        assert alert.status == "firing"
        assert alert.title == "Airflow task prod_etl_pipeline.extract_from_database failed"
        assert alert.description == SEED_AIRFLOW["exception"]
        assert alert.service_name == "prod_etl_pipeline"
        assert alert.labels == {
            "dag_id": "prod_etl_pipeline",
            "task_id": "extract_from_database",
            "run_id": "manual__2025-12-12T10:00:00",
            "execution_date": "2025-12-12T10:00:00Z",
            "state": "failed",
            "try_number": "1",
            "max_tries": "3",
            "operator": "PostgresOperator",
            "alertname": "prod_etl_pipeline",
            "service": "prod_etl_pipeline",
            "error_type": "ConnectionError",
            "error_category": "NetworkError",
        }
        assert alert.annotations["exception"] == SEED_AIRFLOW["exception"]
        assert alert.annotations["log_url"] == SEED_AIRFLOW["log_url"]
        assert alert.annotations["is_remediable"] == "true"
        assert alert.annotations["remediation_action"] == "retry_task"
        assert alert.annotations["suggested_action"].startswith("Retry")
        assert alert.severity == "SEV3_MEDIUM"  # the classification's (the seed: Medium)
        assert alert.links == [SEED_AIRFLOW["log_url"]]
        assert alert.raw == SEED_AIRFLOW

    @pytest.mark.parametrize(
        ("exception", "error_type", "severity"),
        [
            (
                "airflow.exceptions.AirflowTaskTimeout: Timeout, PID: 77",
                "TimeoutError",
                "SEV3_MEDIUM",
            ),
            ("MemoryError", "OutOfMemoryError", "SEV2_HIGH"),
            ("KeyError: 'id'", "SchemaError", "SEV3_MEDIUM"),
            ("exit status 1", "UnknownError", "SEV3_MEDIUM"),
            (None, "UnknownError", "SEV3_MEDIUM"),
        ],
    )
    def test_the_exception_is_classified(self, exception, error_type, severity):
        [alert] = parse(airflow(exception=exception))
        assert alert.labels["error_type"] == error_type
        assert alert.severity == severity

    def test_a_severity_in_the_body_or_the_integration_wins(self):
        [sent] = parse(airflow(severity="critical"))
        assert sent.severity == "SEV1_CRITICAL"
        [mapped] = parse(SEED_AIRFLOW, connectionerror="SEV2_HIGH")
        assert mapped.severity == "SEV2_HIGH"

    def test_the_service_can_be_named(self):
        [named] = parse(airflow(service="billing"))
        assert named.service_name == "billing"
        [tagged] = parse(airflow(tags=["etl", "service:payments"]))
        assert tagged.service_name == "payments"
        assert "etl" not in tagged.labels
        [renamed] = parse(airflow(tags=["app:ledger"]), {"service_label": "app"})
        assert renamed.service_name == "ledger"

    def test_a_retry_is_the_same_alert_another_task_or_run_is_not(self):
        [first] = parse(airflow(state="up_for_retry"))
        [second] = parse(airflow(try_number=2))
        [other_task] = parse(airflow(task_id="load"))
        [other_run] = parse(airflow(run_id="scheduled__2025-12-13T10:00:00"))
        assert first.fingerprint == second.fingerprint == SEED_FINGERPRINT
        assert len({first.fingerprint, other_task.fingerprint, other_run.fingerprint}) == 3

    def test_a_dag_level_callback_without_task(self):
        [alert] = parse(airflow(task_id=None))
        assert alert.fingerprint == "prod_etl_pipeline/manual__2025-12-12T10:00:00"
        assert alert.title == "Airflow DAG prod_etl_pipeline failed"

    def test_without_run_id_the_logical_date_names_the_run(self):
        [alert] = parse(airflow(run_id=None))
        assert alert.fingerprint == "prod_etl_pipeline/2025-12-12T10:00:00Z/extract_from_database"

    @pytest.mark.parametrize("state", ["FAILED", "TaskInstanceState.FAILED", None])
    def test_the_state_as_airflow_may_spell_it(self, state):
        [alert] = parse(airflow(state=state))
        assert alert.status == "firing"

    def test_a_success_resolves_and_other_states_make_nothing(self):
        [done] = parse(airflow(state="success", exception=None))
        assert (done.fingerprint, done.status, done.update_only) == (
            SEED_FINGERPRINT,
            "resolved",
            True,
        )
        assert parse(airflow(state="running")) == []
        assert parse(airflow(state="skipped")) == []

    def test_a_list_of_callbacks_is_several_alerts(self):
        found = parse([airflow(task_id="a"), airflow(task_id="b", state="queued")])
        assert [a.labels["task_id"] for a in found] == ["a"]

    @pytest.mark.parametrize(
        "payload",
        [
            {},
            [],
            "failed",
            ["x"],
            airflow(dag_id=""),
            {k: v for k, v in SEED_AIRFLOW.items() if k != "dag_id"},
            airflow(run_id=None, execution_date=None),
            airflow(state="exploded"),
            airflow(try_number=-1),
            airflow(try_number="first"),
            airflow(execution_date="yesterday"),
        ],
    )
    def test_anything_else_is_an_invalid_payload(self, payload):
        with pytest.raises(InvalidPayload):
            parse(payload)


class TestReceiver:
    async def test_the_seeds_callback_answers_as_the_seed_shows(self, client, admin, af):
        body = (await post(client, af, SEED_AIRFLOW)).json()
        assert body["status"] == "created"
        assert body["ticket_id"] == body["alerts"][0]["incident"]
        assert body["error_classification"] == {
            "error_type": "ConnectionError",
            "category": "NetworkError",
            "severity": "SEV3_MEDIUM",
            "is_remediable": True,
            "action": "retry_task",
            "max_retries": 3,
        }
        opened = await incident(client, admin, body["ticket_id"])
        assert opened["service"]["name"] == "prod_etl_pipeline"
        assert opened["title"] == "Airflow task prod_etl_pipeline.extract_from_database failed"
        detail = await alert_detail(client, admin, body["alerts"][0]["id"])
        assert detail["annotations"]["suggested_action"].startswith("Retry")
        assert detail["links"] == [SEED_AIRFLOW["log_url"]]

    async def test_a_known_run_is_a_duplicate(self, client, admin, af):
        first = (await post(client, af, airflow(state="up_for_retry"))).json()
        again = (await post(client, af, airflow(try_number=2))).json()
        assert again["status"] == "duplicate"
        assert again["message"] == "Duplicate run_id detected"
        assert again["ticket_id"] == again["existing_ticket"] == first["ticket_id"]
        assert again["run_id"] == "manual__2025-12-12T10:00:00"
        detail = await alert_detail(client, admin, first["alerts"][0]["id"])
        assert detail["occurrence_count"] == 2

    async def test_a_success_mitigates_the_ticket(self, client, admin, af):
        failed = (await post(client, af, SEED_AIRFLOW)).json()
        done = (await post(client, af, airflow(state="success", exception=None))).json()
        assert done["status"] == "resolved"
        assert done["ticket_id"] == failed["ticket_id"]
        assert "error_type" not in done
        assert (await incident(client, admin, failed["ticket_id"]))["status"] == "MITIGATED"
        late = (await post(client, af, airflow(state="success", exception=None))).json()
        assert (late["status"], late["message"]) == ("duplicate", "Already resolved")

    async def test_failed_tasks_of_one_dag_share_a_ticket(self, client, admin, af):
        one = (await post(client, af, airflow(task_id="extract"))).json()
        two = (await post(client, af, airflow(task_id="load"))).json()
        assert two["status"] == "created"
        assert one["ticket_id"] == two["ticket_id"]
        assert len(await alerts(client, admin)) == 2
        assert len(await incidents(client, admin)) == 1

    async def test_a_dag_without_a_service_gets_no_ticket(self, client, db, admin):
        hook = await make_integration(db, admin.org, "airflow")
        body = (await post(client, hook, airflow(dag_id="unknown_dag"))).json()
        assert body["status"] == "created"
        assert body["ticket_id"] is None
        assert "no ticket" in body["message"]
        assert await counts(db) == (1, 0)

    async def test_a_silenced_failure_gets_no_ticket(self, client, db, admin, af):
        await make_silence(
            db, admin.org, admin.user, [{"name": "error_type", "value": "ConnectionError"}]
        )
        body = (await post(client, af, SEED_AIRFLOW)).json()
        assert body["status"] == "silenced"
        assert body["ticket_id"] is None
        assert await counts(db) == (1, 0)

    async def test_a_list_of_callbacks_answers_a_ticket_each(self, client, admin, af):
        body = (await post(client, af, [airflow(task_id="a"), airflow(task_id="a")])).json()
        assert body["received"] == 2
        assert [t["status"] for t in body["tickets"]] == ["created", "duplicate"]
        assert body["status"] == "created"

    @pytest.mark.parametrize(
        "payload", [{"task_id": "x"}, airflow(state="on fire"), [SEED_AIRFLOW, {"dag_id": 1}]]
    )
    async def test_the_wrong_shape_is_400_and_stores_nothing(self, client, db, af, payload):
        response = await post(client, af, payload, expect=None)
        body = assert_error(response, 400, "invalid_payload")
        assert "airflow" in body["message"]
        assert await counts(db) == (0, 0)
