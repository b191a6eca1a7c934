"""`airflow_clear_task`: clear the failed task instances of one DAG run so the scheduler runs
them again, through Airflow's stable REST API (v1, Airflow 2.x):
`POST /api/v1/dags/{dag_id}/clearTaskInstances` with `dry_run: false`.

The executor (kind `airflow`) holds the webserver's URL and `username` + `password` (the API's
`basic_auth` backend) or a `token` (sent as Bearer). Without `task_id` every failed (or
upstream-failed) task of the run is cleared; with it, that task and, unless told otherwise, the
tasks downstream of it. `reset_dag_runs` puts the run back to queued so it is scheduled again.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import AliasChoices, Field

from imas.automation.actions.base import (
    Action,
    ActionContext,
    ActionFailed,
    Outcome,
    Params,
    airflow_error,
    checked,
    json_object,
)

MAX_LISTED = 100
"""The most cleared task instances kept in the details."""


class AirflowClearTaskParams(Params):
    dag_id: str = Field(min_length=1, max_length=250, description="The DAG")
    dag_run_id: str = Field(
        min_length=1,
        max_length=250,
        validation_alias=AliasChoices("dag_run_id", "run_id"),
        description="The DAG run whose tasks are cleared (also accepted as `run_id`)",
    )
    task_id: str | None = Field(
        None, min_length=1, description="The task to clear; absent: every failed task of the run"
    )
    only_failed: bool = Field(True, description="Clear only failed / upstream-failed tasks")
    include_downstream: bool = Field(
        True, description="With `task_id`: also clear the tasks downstream of it"
    )
    reset_dag_runs: bool = Field(True, description="Set the DAG run back to queued")


class AirflowClearTask(Action):
    kind = "airflow_clear_task"
    description = "Clear an Airflow DAG run's failed tasks so they run again."
    Params = AirflowClearTaskParams
    executor_kinds: ClassVar[tuple[str, ...]] = ("airflow",)
    executor_required = True
    max_retries = 3

    def _request(self, ctx: ActionContext) -> tuple[str, dict[str, Any]]:
        p: AirflowClearTaskParams = ctx.params
        url = ctx.require_executor().url(
            f"/api/v1/dags/{quote(p.dag_id, safe='')}/clearTaskInstances"
        )
        body: dict[str, Any] = {
            "dry_run": False,
            "dag_run_id": p.dag_run_id,
            "only_failed": p.only_failed,
            "reset_dag_runs": p.reset_dag_runs,
        }
        if p.task_id is not None:
            body["task_ids"] = [p.task_id]
            body["include_downstream"] = p.include_downstream
        return url, body

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        url, body = self._request(ctx)
        return {"method": "POST", "url": url, "body": body}

    async def run(self, ctx: ActionContext) -> Outcome:
        p: AirflowClearTaskParams = ctx.params
        executor = ctx.require_executor()
        url, body = self._request(ctx)
        ctx.log("info", f"POST {url} (dag run {p.dag_run_id}, tasks: {p.task_id or 'all failed'})")
        try:
            response = await ctx.http.post(url, json=body, headers=executor.auth_headers())
        except httpx.HTTPError as exc:
            raise ActionFailed(f"Airflow could not be reached: {type(exc).__name__}") from None
        await checked(response, "Airflow", ok=(200,), error=airflow_error)
        answer = json_object(response)
        instances = answer.get("task_instances")
        cleared = (
            [ti for ti in instances if isinstance(ti, dict)] if isinstance(instances, list) else []
        )
        details = {
            "dag_id": p.dag_id,
            "dag_run_id": p.dag_run_id,
            "cleared_count": len(cleared),
            "cleared": cleared[:MAX_LISTED],
        }
        if not cleared:
            ctx.log("warning", "Airflow cleared no task instance")
            return Outcome(
                False,
                details,
                error=f"no task instance of DAG run {p.dag_run_id} matched (nothing had failed?)",
            )
        names = ", ".join(str(ti.get("task_id")) for ti in cleared[:20])
        ctx.log("info", f"cleared {len(cleared)} task instance(s): {names}")
        return Outcome(True, details)
