"""The actions that call a remote system (Airflow, Databricks, Data Factory, a Logic App) against
a local server speaking their APIs, and the `shell` action against real programs."""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from imas.automation.actions.adf_rerun_pipeline import AdfRerunPipeline
from imas.automation.actions.airflow_clear_task import AirflowClearTask
from imas.automation.actions.base import (
    Action,
    ActionContext,
    ActionFailed,
    ExecutorInfo,
    IncidentInfo,
    Level,
)
from imas.automation.actions.databricks_repair_run import DatabricksRepairRun
from imas.automation.actions.databricks_restart_cluster import DatabricksRestartCluster
from imas.automation.actions.logic_app_trigger import LogicAppTrigger
from imas.automation.actions.shell import Shell
from imas.config import Settings
from tests.automation import fake_remotes as fr
from tests.automation.fake_remotes import FakeRemotes

INCIDENT = IncidentInfo(
    id=str(uuid.uuid4()),
    short_id="INC-42",
    title="pl_ingest_sales failed",
    severity="high",
    status="triggered",
    service="sales-etl",
)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@dataclass
class Call:
    """An action about to run: its context and the log lines it writes."""

    action: Action
    ctx: ActionContext
    logs: list[tuple[Level, str]] = field(default_factory=list)

    async def run(self) -> Any:
        return await self.action.run(self.ctx)

    def text(self) -> str:
        return "\n".join(message for _, message in self.logs)

    def assert_never_shown(self, *secrets: str) -> None:
        for secret in secrets:
            assert secret not in self.text()
            assert secret not in repr(self.action.plan(self.ctx))


def call(
    action: Action,
    params: dict[str, Any],
    settings: Settings,
    http: httpx.AsyncClient,
    executor: ExecutorInfo | None = None,
) -> Call:
    logs: list[tuple[Level, str]] = []
    ctx = ActionContext(
        run_id=uuid.uuid4(),
        attempt=1,
        params=action.Params.model_validate(params),
        http=http,
        settings=settings,
        log=lambda level, message: logs.append((level, message)),
        executor=executor,
        incident=INCIDENT,
        callback_url="https://imas.example.com/api/v1/remediation/callback/",
        callback_secret="cb-secret-" + uuid.uuid4().hex,
    )
    return Call(action, ctx, logs)


def executor(kind: str, base_url: str, credentials: dict[str, Any], **config: Any) -> ExecutorInfo:
    return ExecutorInfo(
        name=f"{kind}-prod", kind=kind, base_url=base_url, config=config, credentials=credentials
    )


async def failure(c: Call) -> ActionFailed:
    with pytest.raises(ActionFailed) as caught:
        await c.run()
    return caught.value


class TestAirflowClearTask:
    @pytest.fixture
    def airflow(self, fake: FakeRemotes) -> ExecutorInfo:
        creds = {"username": fr.AIRFLOW_USER, "password": fr.AIRFLOW_PASSWORD}
        return executor("airflow", fake.base_url, creds)

    async def test_clears_every_failed_task_of_the_run(
        self, fake: FakeRemotes, airflow: ExecutorInfo, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        params = {"dag_id": fr.DAG_ID, "run_id": fr.DAG_RUN_ID}  # the seed's name for the run
        c = call(AirflowClearTask(), params, settings, http, airflow)

        outcome = await c.run()

        assert outcome.success
        assert [ti["task_id"] for ti in outcome.details["cleared"]] == ["transform", "load"]
        assert outcome.details["cleared_count"] == 2
        (seen,) = fake.seen
        assert (seen.method, seen.path) == ("POST", f"/api/v1/dags/{fr.DAG_ID}/clearTaskInstances")
        assert seen.body == {
            "dry_run": False,
            "dag_run_id": fr.DAG_RUN_ID,
            "only_failed": True,
            "reset_dag_runs": True,
        }
        pair = base64.b64encode(f"{fr.AIRFLOW_USER}:{fr.AIRFLOW_PASSWORD}".encode()).decode()
        assert seen.headers["authorization"] == f"Basic {pair}"
        assert fake.dag_runs[(fr.DAG_ID, fr.DAG_RUN_ID)]["transform"] == "none"
        c.assert_never_shown(fr.AIRFLOW_PASSWORD, pair)

    async def test_clears_one_task_and_those_downstream(
        self, fake: FakeRemotes, airflow: ExecutorInfo, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        params = {"dag_id": fr.DAG_ID, "dag_run_id": fr.DAG_RUN_ID, "task_id": "transform"}

        outcome = await call(AirflowClearTask(), params, settings, http, airflow).run()

        assert outcome.success
        assert fake.seen[0].body["task_ids"] == ["transform"]
        assert fake.seen[0].body["include_downstream"] is True
        assert [ti["task_id"] for ti in outcome.details["cleared"]] == ["transform", "load"]

    async def test_nothing_failed_is_an_unsuccessful_outcome(
        self, fake: FakeRemotes, airflow: ExecutorInfo, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        fake.dag_runs[(fr.DAG_ID, fr.DAG_RUN_ID)].update(transform="success", load="success")
        params = {"dag_id": fr.DAG_ID, "dag_run_id": fr.DAG_RUN_ID}

        outcome = await call(AirflowClearTask(), params, settings, http, airflow).run()

        assert not outcome.success
        assert outcome.details["cleared_count"] == 0
        assert outcome.error is not None

    async def test_unknown_dag_fails_with_airflows_message(
        self, airflow: ExecutorInfo, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        params = {"dag_id": "no_such_dag", "dag_run_id": fr.DAG_RUN_ID}

        error = await failure(call(AirflowClearTask(), params, settings, http, airflow))

        assert error.details["status_code"] == 404
        assert "HTTP 404" in str(error)
        assert "DAG with dag_id: 'no_such_dag' not found" in str(error)

    async def test_wrong_password_fails_unauthorized(
        self, fake: FakeRemotes, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        wrong = executor("airflow", fake.base_url, {"username": fr.AIRFLOW_USER, "password": "x"})
        params = {"dag_id": fr.DAG_ID, "dag_run_id": fr.DAG_RUN_ID}

        error = await failure(call(AirflowClearTask(), params, settings, http, wrong))

        assert error.details["status_code"] == 401
        assert "Unauthorized" in str(error)

    def test_unknown_parameters_are_refused(self) -> None:
        with pytest.raises(ValidationError):
            AirflowClearTask.Params.model_validate(
                {"dag_id": fr.DAG_ID, "dag_run_id": "r", "dry_run": True}
            )


class TestDatabricksRestartCluster:
    @pytest.fixture
    def databricks(self, fake: FakeRemotes) -> ExecutorInfo:
        return executor("databricks", fake.base_url, {"token": fr.DATABRICKS_TOKEN})

    async def test_restarts_a_running_cluster(
        self,
        fake: FakeRemotes,
        databricks: ExecutorInfo,
        settings: Settings,
        http: httpx.AsyncClient,
    ) -> None:
        c = call(
            DatabricksRestartCluster(), {"cluster_id": fr.CLUSTER_ID}, settings, http, databricks
        )

        outcome = await c.run()

        assert outcome.success
        assert outcome.details["cluster_id"] == fr.CLUSTER_ID
        assert outcome.details["previous_state"] == "RUNNING"
        assert outcome.details["current_state"] == "RESTARTING"
        assert outcome.details["operation"] == "restart"
        (restart,) = fake.of("/api/2.0/clusters/restart")
        assert restart.body == {"cluster_id": fr.CLUSTER_ID}
        assert {s.headers["authorization"] for s in fake.seen} == {f"Bearer {fr.DATABRICKS_TOKEN}"}
        assert fake.of("/api/2.0/clusters/get")[0].query == {"cluster_id": fr.CLUSTER_ID}
        assert not fake.of("/api/2.0/clusters/start")
        c.assert_never_shown(fr.DATABRICKS_TOKEN)

    async def test_starts_a_terminated_cluster_and_waits_until_running(
        self,
        fake: FakeRemotes,
        databricks: ExecutorInfo,
        settings: Settings,
        http: httpx.AsyncClient,
    ) -> None:
        fake.clusters[fr.CLUSTER_ID]["state"] = "TERMINATED"
        fake.gets_until_running = 3
        params = {"cluster_id": fr.CLUSTER_ID, "wait_for_running": True, "poll_seconds": 0.01}
        c = call(DatabricksRestartCluster(), params, settings, http, databricks)

        outcome = await c.run()

        assert outcome.success
        assert outcome.details["previous_state"] == "TERMINATED"
        assert outcome.details["current_state"] == "RUNNING"
        assert outcome.details["operation"] == "start"
        assert [s.path.rsplit("/", 1)[1] for s in fake.seen] == [
            "get", "start", "get", "get", "get", "get",
        ]  # fmt: skip
        assert not fake.of("/api/2.0/clusters/restart")
        assert any("RUNNING" in message for _, message in c.logs)

    async def test_a_restart_refused_as_terminated_becomes_a_start(
        self,
        fake: FakeRemotes,
        databricks: ExecutorInfo,
        settings: Settings,
        http: httpx.AsyncClient,
    ) -> None:
        fake.stops_before_restart.add(fr.CLUSTER_ID)
        c = call(
            DatabricksRestartCluster(), {"cluster_id": fr.CLUSTER_ID}, settings, http, databricks
        )

        outcome = await c.run()

        assert outcome.success
        assert outcome.details["operation"] == "start"
        assert outcome.details["current_state"] == "PENDING"
        assert len(fake.of("/api/2.0/clusters/restart")) == 1
        assert len(fake.of("/api/2.0/clusters/start")) == 1

    async def test_gives_up_waiting_after_max_wait(
        self,
        fake: FakeRemotes,
        databricks: ExecutorInfo,
        settings: Settings,
        http: httpx.AsyncClient,
    ) -> None:
        fake.gets_until_running = 10**6
        params = {
            "cluster_id": fr.CLUSTER_ID,
            "wait_for_running": True,
            "poll_seconds": 0.01,
            "max_wait_seconds": 0.1,
        }

        error = await failure(call(DatabricksRestartCluster(), params, settings, http, databricks))

        assert "not RUNNING after 0.1s" in str(error)
        assert error.details["current_state"] == "RESTARTING"

    async def test_unknown_cluster_fails_with_databricks_error(
        self, databricks: ExecutorInfo, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        params = {"cluster_id": "0000-000000-nothere"}

        error = await failure(call(DatabricksRestartCluster(), params, settings, http, databricks))

        assert error.details["status_code"] == 400
        assert error.details["error_code"] == "INVALID_PARAMETER_VALUE"
        assert "Cluster 0000-000000-nothere does not exist" in str(error)

    async def test_wrong_token_fails(
        self, fake: FakeRemotes, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        wrong = executor("databricks", fake.base_url, {"token": "dapi-wrong"})

        error = await failure(
            call(DatabricksRestartCluster(), {"cluster_id": fr.CLUSTER_ID}, settings, http, wrong)
        )

        assert error.details["status_code"] == 403
        assert "Invalid access token" in str(error)


class TestDatabricksRepairRun:
    @pytest.fixture
    def databricks(self, fake: FakeRemotes) -> ExecutorInfo:
        return executor("databricks", fake.base_url, {"token": fr.DATABRICKS_TOKEN})

    async def test_repairs_every_failed_task(
        self,
        fake: FakeRemotes,
        databricks: ExecutorInfo,
        settings: Settings,
        http: httpx.AsyncClient,
    ) -> None:
        c = call(DatabricksRepairRun(), {"run_id": fr.JOB_RUN_ID}, settings, http, databricks)

        outcome = await c.run()

        assert outcome.success
        assert outcome.details["repair_id"] == fake.job_runs[fr.JOB_RUN_ID][0]
        (history,) = fake.of("/api/2.1/jobs/runs/get")
        assert history.query == {"run_id": str(fr.JOB_RUN_ID), "include_history": "true"}
        (repair,) = fake.of("/api/2.1/jobs/runs/repair")
        assert repair.body == {"run_id": fr.JOB_RUN_ID, "rerun_all_failed_tasks": True}
        assert repair.headers["authorization"] == f"Bearer {fr.DATABRICKS_TOKEN}"
        c.assert_never_shown(fr.DATABRICKS_TOKEN)

    async def test_repairs_named_tasks_of_a_run_repaired_before(
        self,
        fake: FakeRemotes,
        databricks: ExecutorInfo,
        settings: Settings,
        http: httpx.AsyncClient,
    ) -> None:
        first = await call(
            DatabricksRepairRun(), {"run_id": fr.JOB_RUN_ID}, settings, http, databricks
        ).run()
        params = {"run_id": fr.JOB_RUN_ID, "task_keys": ["ingest", "publish"]}

        second = await call(DatabricksRepairRun(), params, settings, http, databricks).run()

        assert second.success
        assert second.details["latest_repair_id"] == first.details["repair_id"]
        assert second.details["repair_id"] != first.details["repair_id"]
        repair = fake.of("/api/2.1/jobs/runs/repair")[-1]
        assert repair.body == {
            "run_id": fr.JOB_RUN_ID,
            "rerun_tasks": ["ingest", "publish"],
            "latest_repair_id": first.details["repair_id"],
        }

    async def test_unknown_run_fails_with_databricks_error(
        self, databricks: ExecutorInfo, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        error = await failure(
            call(DatabricksRepairRun(), {"run_id": 42}, settings, http, databricks)
        )

        assert error.details["status_code"] == 400
        assert "Run 42 does not exist" in str(error)


class TestAdfRerunPipeline:
    CREDENTIALS = {
        "tenant_id": fr.TENANT_ID,
        "client_id": fr.CLIENT_ID,
        "client_secret": fr.CLIENT_SECRET,
    }

    def azure(self, fake: FakeRemotes, **credentials: str) -> ExecutorInfo:
        return executor(
            "azure",
            fake.base_url,
            {**self.CREDENTIALS, **credentials},
            subscription_id=fr.SUBSCRIPTION_ID,
            resource_group=fr.RESOURCE_GROUP,
            factory_name=fr.FACTORY_NAME,
            authority_url=fake.base_url,
        )

    async def test_reruns_the_failed_run_in_recovery_mode(
        self, fake: FakeRemotes, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        params = {
            "pipeline_name": fr.PIPELINE_NAME,
            "original_run_id": "2f7fdb90-5df1-4b8e-ac2f-064cfa58202b",  # the seed's name
            "start_activity": "CopySales",
        }
        c = call(AdfRerunPipeline(), params, settings, http, self.azure(fake))

        outcome = await c.run()

        assert outcome.success
        assert outcome.details["run_id"] == fake.pipeline_runs[0]["runId"]
        assert outcome.details["reference_run_id"] == params["original_run_id"]
        token_request, create_run = fake.seen
        assert token_request.path == f"/{fr.TENANT_ID}/oauth2/v2.0/token"
        assert token_request.body == {
            "grant_type": "client_credentials",
            "client_id": fr.CLIENT_ID,
            "client_secret": fr.CLIENT_SECRET,
            "scope": "https://management.azure.com/.default",
        }
        assert create_run.path == (
            f"/subscriptions/{fr.SUBSCRIPTION_ID}/resourceGroups/{fr.RESOURCE_GROUP}"
            f"/providers/Microsoft.DataFactory/factories/{fr.FACTORY_NAME}"
            f"/pipelines/{fr.PIPELINE_NAME}/createRun"
        )
        assert create_run.query == {
            "api-version": "2018-06-01",
            "referencePipelineRunId": params["original_run_id"],
            "isRecovery": "true",
            "startActivityName": "CopySales",
        }
        token = create_run.headers["authorization"].removeprefix("Bearer ")
        assert token in fake.tokens
        uuid.UUID(create_run.headers["x-ms-client-request-id"])
        c.assert_never_shown(fr.CLIENT_SECRET, token)

    async def test_wrong_client_secret_fails_with_azure_ads_error(
        self, fake: FakeRemotes, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        params = {"pipeline_name": fr.PIPELINE_NAME, "run_id": "r-1"}
        azure = self.azure(fake, client_secret="wrong")

        error = await failure(call(AdfRerunPipeline(), params, settings, http, azure))

        assert error.details["status_code"] == 401
        assert error.details["error_code"] == "invalid_client"
        assert "AADSTS7000215" in str(error)
        assert not fake.of("/subscriptions/")

    async def test_unknown_pipeline_fails_with_resource_managers_error(
        self, fake: FakeRemotes, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        params = {"pipeline_name": "pl_missing", "run_id": "r-1"}

        error = await failure(call(AdfRerunPipeline(), params, settings, http, self.azure(fake)))

        assert error.details["status_code"] == 404
        assert error.details["error_code"] == "NotFound"
        assert "Entity pl_missing not found" in str(error)

    async def test_an_executor_without_a_factory_is_refused(
        self, fake: FakeRemotes, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        azure = executor("azure", fake.base_url, self.CREDENTIALS, subscription_id="s")
        params = {"pipeline_name": fr.PIPELINE_NAME, "run_id": "r-1"}

        error = await failure(call(AdfRerunPipeline(), params, settings, http, azure))

        assert error.details["missing_config"] == ["resource_group", "factory_name"]
        assert not fake.seen


class TestLogicAppTrigger:
    def logic_app(self, fake: FakeRemotes, sig: str, path: str = fr.LOGIC_APP_PATH) -> ExecutorInfo:
        query = f"api-version=2016-10-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={sig}"
        url = f"{fake.base_url}{path}?{query}"
        return executor("logic_app", "", {"trigger_url": url})

    async def test_starts_the_workflow_and_waits_for_its_callback(
        self, fake: FakeRemotes, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        params = {
            "payload": {
                "pipeline_name": fr.PIPELINE_NAME,
                "original_run_id": "2f7fdb90",
                "error_type": "timeout",
            }
        }
        c = call(LogicAppTrigger(), params, settings, http, self.logic_app(fake, fr.LOGIC_APP_SIG))

        outcome = await c.run()

        assert outcome.success
        assert outcome.waiting == "callback"
        assert outcome.details["host"] == "127.0.0.1"
        assert outcome.details["status_code"] == 202
        assert outcome.details["workflow_run_id"] == "08585376287634212543297345141CU00"
        (seen,) = fake.seen
        assert seen.path == fr.LOGIC_APP_PATH
        assert seen.query["sig"] == fr.LOGIC_APP_SIG
        assert seen.body == {
            "ticket_id": "INC-42",
            "incident_id": INCIDENT.id,
            "title": INCIDENT.title,
            "severity": "high",
            "service": "sales-etl",
            "run_id": str(c.ctx.run_id),
            "attempt": 1,
            "callback_url": c.ctx.callback_url,
            "callback_secret": c.ctx.callback_secret,
            "pipeline_name": fr.PIPELINE_NAME,
            "original_run_id": "2f7fdb90",
            "error_type": "timeout",
        }
        assert seen.headers["x-ms-client-tracking-id"] == c.ctx.idempotency_key()
        c.assert_never_shown(fr.LOGIC_APP_SIG, c.ctx.callback_secret)
        assert "127.0.0.1" in c.text()

    async def test_a_wrong_signature_fails_without_showing_the_url(
        self, fake: FakeRemotes, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        c = call(LogicAppTrigger(), {}, settings, http, self.logic_app(fake, "forged"))

        error = await failure(c)

        assert error.details["status_code"] == 401
        assert error.details["error_code"] == "DirectApiInvalidAuthorizationSignature"
        assert "forged" not in str(error)
        assert "forged" not in c.text()

    async def test_an_answer_quoting_the_trigger_url_is_scrubbed(
        self, fake: FakeRemotes, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        broken = self.logic_app(fake, fr.LOGIC_APP_SIG, fr.BROKEN_LOGIC_APP_PATH)

        error = await failure(call(LogicAppTrigger(), {}, settings, http, broken))

        assert error.details["status_code"] == 502
        assert "BadGateway" in str(error)
        assert fr.LOGIC_APP_SIG not in str(error)
        assert fr.LOGIC_APP_SIG not in repr(error.details)

    def test_the_payload_cannot_replace_the_runs_fields(self) -> None:
        with pytest.raises(ValidationError, match="callback_url"):
            LogicAppTrigger.Params.model_validate({"payload": {"callback_url": "https://evil"}})


class TestShell:
    @pytest.fixture
    def allowed(self, settings: Settings) -> Settings:
        return settings.model_copy(
            update={
                "automation_shell_enabled": True,
                "automation_shell_allow": ["/bin/echo", "/bin/sleep", "/bin/false", "/usr/bin/env"],
            }
        )

    async def test_refused_while_disabled(
        self, settings: Settings, http: httpx.AsyncClient
    ) -> None:
        disabled = settings.model_copy(
            update={"automation_shell_enabled": False, "automation_shell_allow": ["/bin/echo"]}
        )

        error = await failure(call(Shell(), {"command": ["/bin/echo", "hi"]}, disabled, http))

        assert "disabled" in str(error)

    async def test_refused_when_not_allow_listed(
        self, allowed: Settings, http: httpx.AsyncClient
    ) -> None:
        error = await failure(
            call(Shell(), {"command": ["/bin/cat", "/etc/passwd"]}, allowed, http)
        )

        assert "/bin/cat is not in IMAS_AUTOMATION_SHELL_ALLOW" in str(error)

    async def test_runs_an_allowed_program_without_a_shell(
        self, allowed: Settings, http: httpx.AsyncClient
    ) -> None:
        command = ["/bin/echo", "restarted", "$HOME", "; rm -rf /"]

        outcome = await call(Shell(), {"command": command}, allowed, http).run()

        assert outcome.success
        assert outcome.details["exit_code"] == 0
        assert outcome.details["stdout"] == "restarted $HOME ; rm -rf /\n"
        assert outcome.details["stderr"] == ""

    async def test_a_failing_program_is_an_unsuccessful_outcome(
        self, allowed: Settings, http: httpx.AsyncClient
    ) -> None:
        outcome = await call(Shell(), {"command": ["/bin/false"]}, allowed, http).run()

        assert not outcome.success
        assert outcome.details["exit_code"] == 1

    async def test_the_program_does_not_get_imas_environment(
        self, allowed: Settings, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("IMAS_SECRET_KEY_PROBE", "do-not-leak")

        outcome = await call(Shell(), {"command": ["/usr/bin/env"]}, allowed, http).run()

        assert outcome.success
        assert "do-not-leak" not in outcome.details["stdout"]
        assert os.environ["IMAS_SECRET_KEY_PROBE"] == "do-not-leak"

    async def test_a_program_past_its_timeout_is_killed(
        self, allowed: Settings, http: httpx.AsyncClient
    ) -> None:
        started = time.monotonic()
        params = {"command": ["/bin/sleep", "30"], "timeout_seconds": 1}

        error = await failure(call(Shell(), params, allowed, http))

        assert time.monotonic() - started < 5
        assert "killed" in str(error)
        assert error.details["timed_out"] is True
        assert error.details["exit_code"] == -9

    @pytest.mark.parametrize(
        "command", [["echo", "hi"], ["/bin/../bin/echo"], [], ["/bin/echo", "a\x00b"]]
    )
    def test_only_absolute_programs_are_accepted(self, command: list[str]) -> None:
        with pytest.raises(ValidationError):
            Shell.Params.model_validate({"command": command})

    def test_timeout_is_bounded(self) -> None:
        with pytest.raises(ValidationError):
            Shell.Params.model_validate({"command": ["/bin/echo"], "timeout_seconds": 100000})
