"""One small server on 127.0.0.1 playing the remote systems the run actions call, with their
documented request and answer shapes (and error bodies):

- Airflow's stable REST API: `POST /api/v1/dags/{dag_id}/clearTaskInstances` (Basic auth;
  problem+json errors);
- Databricks: `clusters/get|restart|start` (API 2.0), `jobs/runs/get|repair` (API 2.1) (Bearer
  token; `{"error_code", "message"}` errors);
- Azure AD's token endpoint (client credentials) and Data Factory's `createRun` (the Bearer
  token it issued; Resource Manager's `{"error": {"code", "message"}}` errors);
- a Logic App's HTTP trigger (`sig` checked; answers 202).

Every request is recorded (`seen`); `reset()` puts the state back between tests.
"""

from __future__ import annotations

import base64
import itertools
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.integrations.servers import LocalServer

AIRFLOW_USER = "imas-bot"
AIRFLOW_PASSWORD = "airflow-pw-7c1e"
DAG_ID = "etl_daily"
DAG_RUN_ID = "scheduled__2024-05-01T00:00:00+00:00"

DATABRICKS_TOKEN = "dapi0123456789abcdef"
CLUSTER_ID = "0501-123456-abcd123"
JOB_RUN_ID = 455644833

TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT_ID = "4a1aa1d5-c567-49d0-ad0b-cd957a47f842"
CLIENT_SECRET = "Q~client-secret-8f2d"
SUBSCRIPTION_ID = "12345678-1234-1234-1234-123456789012"
RESOURCE_GROUP = "rg-data"
FACTORY_NAME = "adf-sales"
PIPELINE_NAME = "pl_ingest_sales"
ARM_SCOPE = "https://management.azure.com/.default"

LOGIC_APP_SIG = "Xq3ZkS3cr3tS1gnatur3value"
LOGIC_APP_PATH = "/workflows/6f1c2a/triggers/manual/paths/invoke"
BROKEN_LOGIC_APP_PATH = "/workflows/broken/triggers/manual/paths/invoke"

AIRFLOW_ERRORS = "https://airflow.apache.org/docs/apache-airflow/2.9.0/stable-rest-api-ref.html"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any  # the JSON or form body, parsed


def problem(status: int, title: str, detail: str | None, kind: str) -> JSONResponse:
    """Airflow's error answer (RFC 7807)."""
    return JSONResponse(
        {"detail": detail, "status": status, "title": title, "type": f"{AIRFLOW_ERRORS}#{kind}"},
        status_code=status,
        media_type="application/problem+json",
    )


def databricks_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error_code": code, "message": message}, status_code=status)


def arm_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


class FakeRemotes(LocalServer):
    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self) -> None:
        self.seen: list[Seen] = []
        self.airflow_failures = 0
        """How many of the next clearTaskInstances calls fail (503, Airflow's problem body)."""
        # Airflow: the tasks of each DAG run (in dependency order) and their states
        self.task_order = ["extract", "transform", "load"]
        self.dag_runs: dict[tuple[str, str], dict[str, str]] = {
            (DAG_ID, DAG_RUN_ID): {
                "extract": "success",
                "transform": "failed",
                "load": "upstream_failed",
            }
        }
        # Databricks
        self.clusters: dict[str, dict[str, Any]] = {
            CLUSTER_ID: {"cluster_id": CLUSTER_ID, "state": "RUNNING", "state_message": ""}
        }
        self.gets_until_running = 2
        """How many clusters/get calls a starting cluster answers before it is RUNNING."""
        self._countdown: dict[str, int] = {}
        self.stops_before_restart: set[str] = set()
        """Clusters that terminate just as a restart arrives (so it is refused)."""
        self.job_runs: dict[int, list[int]] = {JOB_RUN_ID: []}  # run id -> its repair ids
        self._repair_ids = itertools.count(734650698524280)
        # Azure
        self.tokens: set[str] = set()
        self.pipelines = {PIPELINE_NAME}
        self.pipeline_runs: list[dict[str, Any]] = []

    def of(self, path_start: str) -> list[Seen]:
        return [s for s in self.seen if s.path.startswith(path_start)]

    def app(self) -> Starlette:
        factory = (
            "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.DataFactory"
            "/factories/{factory}"
        )
        return Starlette(
            routes=[
                Route(
                    "/api/v1/dags/{dag_id}/clearTaskInstances",
                    self._airflow_clear,
                    methods=["POST"],
                ),
                Route("/api/2.0/clusters/get", self._cluster_get, methods=["GET"]),
                Route("/api/2.0/clusters/restart", self._cluster_restart, methods=["POST"]),
                Route("/api/2.0/clusters/start", self._cluster_start, methods=["POST"]),
                Route("/api/2.1/jobs/runs/get", self._run_get, methods=["GET"]),
                Route("/api/2.1/jobs/runs/repair", self._run_repair, methods=["POST"]),
                Route("/{tenant}/oauth2/v2.0/token", self._aad_token, methods=["POST"]),
                Route(
                    factory + "/pipelines/{pipeline}/createRun",
                    self._adf_create_run,
                    methods=["POST"],
                ),
                Route(LOGIC_APP_PATH, self._logic_app, methods=["POST"]),
                Route(BROKEN_LOGIC_APP_PATH, self._broken_logic_app, methods=["POST"]),
            ]
        )

    async def _record(self, request: Request) -> Seen:
        raw = await request.body()
        body: Any = None
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body = dict((await request.form()).items())
        elif raw:
            body = await request.json()
        seen = Seen(
            request.method,
            request.url.path,
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            body,
        )
        self.seen.append(seen)
        return seen

    # Airflow

    async def _airflow_clear(self, request: Request) -> JSONResponse:
        seen = await self._record(request)
        basic = base64.b64encode(f"{AIRFLOW_USER}:{AIRFLOW_PASSWORD}".encode()).decode()
        if seen.headers.get("authorization") != f"Basic {basic}":
            return problem(401, "Unauthorized", None, "Unauthenticated")
        dag_id = request.path_params["dag_id"]
        if self.airflow_failures > 0:
            self.airflow_failures -= 1
            return problem(503, "Service Unavailable", "The scheduler is restarting", "Unknown")
        if not any(d == dag_id for d, _ in self.dag_runs):
            return problem(
                404, "DAG not found", f"DAG with dag_id: '{dag_id}' not found", "NotFound"
            )
        body = seen.body
        run_id = body.get("dag_run_id")
        tasks = self.dag_runs.get((dag_id, run_id))
        if tasks is None:
            return problem(
                404,
                "Dag Run not found",
                f"Dag Run id {run_id} not found in dag {dag_id}",
                "NotFound",
            )
        chosen = list(self.task_order)
        if body.get("task_ids"):
            first = min(self.task_order.index(t) for t in body["task_ids"])
            chosen = (
                self.task_order[first:]
                if body.get("include_downstream")
                else [t for t in self.task_order if t in body["task_ids"]]
            )
        if body.get("only_failed", True):
            chosen = [t for t in chosen if tasks[t] in ("failed", "upstream_failed")]
        if body.get("dry_run", True) is False:
            for task in chosen:
                tasks[task] = "none"
        return JSONResponse(
            {
                "task_instances": [
                    {
                        "dag_id": dag_id,
                        "dag_run_id": run_id,
                        "execution_date": "2024-05-01T00:00:00+00:00",
                        "task_id": task,
                    }
                    for task in chosen
                ]
            }
        )

    # Databricks

    def _databricks_denied(self, seen: Seen) -> JSONResponse | None:
        if seen.headers.get("authorization") != f"Bearer {DATABRICKS_TOKEN}":
            return databricks_error(403, "PERMISSION_DENIED", "Invalid access token.")
        return None

    def _unknown_cluster(self, cluster_id: str) -> JSONResponse:
        return databricks_error(
            400, "INVALID_PARAMETER_VALUE", f"Cluster {cluster_id} does not exist"
        )

    async def _cluster_get(self, request: Request) -> JSONResponse:
        seen = await self._record(request)
        if denied := self._databricks_denied(seen):
            return denied
        cluster_id = seen.query.get("cluster_id", "")
        cluster = self.clusters.get(cluster_id)
        if cluster is None:
            return self._unknown_cluster(cluster_id)
        answer = dict(cluster)
        if cluster["state"] in ("PENDING", "RESTARTING"):
            self._countdown[cluster_id] -= 1
            if self._countdown[cluster_id] <= 0:
                cluster.update(state="RUNNING", state_message="")
        return JSONResponse(answer)

    async def _cluster_change(self, request: Request, operation: str) -> JSONResponse:
        seen = await self._record(request)
        if denied := self._databricks_denied(seen):
            return denied
        cluster_id = seen.body.get("cluster_id", "")
        cluster = self.clusters.get(cluster_id)
        if cluster is None:
            return self._unknown_cluster(cluster_id)
        if operation == "restart" and cluster_id in self.stops_before_restart:
            cluster.update(state="TERMINATED", state_message="Inactive cluster terminated")
        expected = "RUNNING" if operation == "restart" else "TERMINATED"
        if cluster["state"] != expected:
            return databricks_error(
                400,
                "INVALID_STATE",
                f"Cluster {cluster_id} is in unexpected state {cluster['state'].title()}.",
            )
        new_state = "RESTARTING" if operation == "restart" else "PENDING"
        cluster.update(state=new_state, state_message=f"{operation} requested")
        self._countdown[cluster_id] = self.gets_until_running
        return JSONResponse({})

    async def _cluster_restart(self, request: Request) -> JSONResponse:
        return await self._cluster_change(request, "restart")

    async def _cluster_start(self, request: Request) -> JSONResponse:
        return await self._cluster_change(request, "start")

    async def _run_get(self, request: Request) -> JSONResponse:
        seen = await self._record(request)
        if denied := self._databricks_denied(seen):
            return denied
        run_id = int(seen.query.get("run_id", "0"))
        if run_id not in self.job_runs:
            return databricks_error(400, "INVALID_PARAMETER_VALUE", f"Run {run_id} does not exist.")
        answer: dict[str, Any] = {
            "run_id": run_id,
            "job_id": 11223344,
            "state": {"life_cycle_state": "TERMINATED", "result_state": "FAILED"},
        }
        if seen.query.get("include_history") == "true":
            answer["repair_history"] = [{"type": "ORIGINAL", "start_time": 1714521600000}] + [
                {"type": "REPAIR", "id": repair_id} for repair_id in self.job_runs[run_id]
            ]
        return JSONResponse(answer)

    async def _run_repair(self, request: Request) -> JSONResponse:
        seen = await self._record(request)
        if denied := self._databricks_denied(seen):
            return denied
        body = seen.body
        run_id = body.get("run_id")
        if run_id not in self.job_runs:
            return databricks_error(400, "INVALID_PARAMETER_VALUE", f"Run {run_id} does not exist.")
        if bool(body.get("rerun_tasks")) == bool(body.get("rerun_all_failed_tasks")):
            return databricks_error(
                400,
                "INVALID_PARAMETER_VALUE",
                "Exactly one of rerun_tasks or rerun_all_failed_tasks must be specified",
            )
        repairs = self.job_runs[run_id]
        if repairs and body.get("latest_repair_id") != repairs[-1]:
            return databricks_error(
                400,
                "INVALID_PARAMETER_VALUE",
                "The latest repair ID needs to be provided in order to create a new repair",
            )
        repair_id = next(self._repair_ids)
        repairs.append(repair_id)
        return JSONResponse({"repair_id": repair_id})

    # Azure

    async def _aad_token(self, request: Request) -> JSONResponse:
        seen = await self._record(request)
        form = seen.body or {}
        if request.path_params["tenant"] != TENANT_ID:
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": f"AADSTS90002: Tenant '{request.path_params['tenant']}'"
                    " not found.",
                    "error_codes": [90002],
                },
                status_code=400,
            )
        if form.get("grant_type") != "client_credentials" or form.get("scope") != ARM_SCOPE:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "AADSTS900144: bad request"},
                status_code=400,
            )
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided. "
                    "Ensure the secret being sent in the request is the client secret value, "
                    "not the client secret ID.",
                    "error_codes": [7000215],
                },
                status_code=401,
            )
        token = "eyJ0eXAiOiJKV1Qi." + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
        )

    async def _adf_create_run(self, request: Request) -> JSONResponse:
        seen = await self._record(request)
        authorization = seen.headers.get("authorization", "")
        if authorization.removeprefix("Bearer ") not in self.tokens:
            return arm_error(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            )
        if seen.query.get("api-version") != "2018-06-01":
            return arm_error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{seen.query.get('api-version')}' is invalid.",
            )
        p = request.path_params
        if (p["sub"], p["rg"], p["factory"]) != (SUBSCRIPTION_ID, RESOURCE_GROUP, FACTORY_NAME):
            return arm_error(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.DataFactory/factories/{p['factory']}' under resource "
                f"group '{p['rg']}' was not found.",
            )
        if p["pipeline"] not in self.pipelines:
            return arm_error(404, "NotFound", f"Entity {p['pipeline']} not found")
        run_id = f"{len(self.pipeline_runs) + 1:08d}-0000-4000-8000-00000000abcd"
        self.pipeline_runs.append({"runId": run_id, "pipeline": p["pipeline"], **seen.query})
        return JSONResponse({"runId": run_id})

    # Logic App

    async def _logic_app(self, request: Request) -> JSONResponse:
        seen = await self._record(request)
        if seen.query.get("sig") != LOGIC_APP_SIG:
            return arm_error(
                401,
                "DirectApiInvalidAuthorizationSignature",
                "The provided authentication token is not valid, the request authorization "
                "signature 'sig' is not valid.",
            )
        return JSONResponse(
            {},
            status_code=202,
            headers={"x-ms-workflow-run-id": "08585376287634212543297345141CU00"},
        )

    async def _broken_logic_app(self, request: Request) -> JSONResponse:
        """A workflow whose answer quotes the request URL (with its signature)."""
        await self._record(request)
        return arm_error(502, "BadGateway", f"The workflow failed calling back {request.url}")
