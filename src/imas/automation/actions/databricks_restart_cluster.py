"""`databricks_restart_cluster`: restart a Databricks all-purpose cluster, or start it when it
is terminated, through the Clusters API 2.0 (`clusters/get`, `clusters/restart`,
`clusters/start`); optionally wait until it is RUNNING.

The executor (kind `databricks`) holds the workspace URL and a `token` (a personal access token
or a service principal's, sent as Bearer). The cluster's state is read first: RUNNING (or
RESIZING) is restarted, TERMINATED is started, PENDING / RESTARTING is already on its way up and
is left alone. A restart refused with INVALID_STATE (the cluster stopped in between) falls back
to a start.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import httpx
from pydantic import Field

from imas.automation.actions.base import (
    Action,
    ActionContext,
    ActionFailed,
    Outcome,
    Params,
    checked,
    databricks_error,
    json_object,
)

RESTARTABLE = frozenset({"RUNNING", "RESIZING"})
COMING_UP = frozenset({"PENDING", "RESTARTING"})
DOWN = frozenset({"TERMINATED", "ERROR"})


class DatabricksRestartClusterParams(Params):
    cluster_id: str = Field(min_length=1, max_length=100, description="The cluster")
    wait_for_running: bool = Field(False, description="Wait until the cluster is RUNNING")
    poll_seconds: float = Field(
        10.0, gt=0, le=60, description="While waiting: seconds between two state reads"
    )
    max_wait_seconds: float = Field(
        600.0, gt=0, le=3600, description="While waiting: give up after this many seconds"
    )


class DatabricksRestartCluster(Action):
    kind = "databricks_restart_cluster"
    description = "Restart a Databricks cluster (start it when terminated)."
    Params = DatabricksRestartClusterParams
    executor_kinds: ClassVar[tuple[str, ...]] = ("databricks",)
    executor_required = True
    max_retries = 3

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        p: DatabricksRestartClusterParams = ctx.params
        executor = ctx.require_executor()
        return {
            "read_state": f"GET {executor.url('/api/2.0/clusters/get')}",
            "when_running": f"POST {executor.url('/api/2.0/clusters/restart')}",
            "when_terminated": f"POST {executor.url('/api/2.0/clusters/start')}",
            "body": {"cluster_id": p.cluster_id},
            "wait_for_running": p.wait_for_running,
        }

    async def run(self, ctx: ActionContext) -> Outcome:
        p: DatabricksRestartClusterParams = ctx.params
        try:
            return await self._run(ctx, p)
        except httpx.HTTPError as exc:
            raise ActionFailed(f"Databricks could not be reached: {type(exc).__name__}") from None

    async def _run(self, ctx: ActionContext, p: DatabricksRestartClusterParams) -> Outcome:
        previous = await _cluster(ctx, p.cluster_id)
        state = str(previous.get("state", "UNKNOWN"))
        ctx.log("info", f"cluster {p.cluster_id} is {state}")
        if state in RESTARTABLE:
            operation = await self._restart(ctx, p.cluster_id)
        elif state in DOWN:
            operation = await _post(ctx, "start", p.cluster_id)
        elif state in COMING_UP:
            ctx.log("info", f"cluster {p.cluster_id} is already starting: nothing to do")
            operation = "none"
        else:  # TERMINATING, UNKNOWN
            raise ActionFailed(
                f"cluster {p.cluster_id} is {state}: it can be neither restarted nor started now",
                {"cluster_id": p.cluster_id, "state": state},
            )
        current = await _cluster(ctx, p.cluster_id)
        if p.wait_for_running:
            current = await self._wait(ctx, p, current)
        details = {
            "cluster_id": p.cluster_id,
            "operation": operation,
            "previous_state": state,
            "current_state": current.get("state"),
        }
        if current.get("state_message"):
            details["state_message"] = current["state_message"]
        return Outcome(True, details)

    async def _restart(self, ctx: ActionContext, cluster_id: str) -> str:
        try:
            return await _post(ctx, "restart", cluster_id)
        except ActionFailed as exc:
            if exc.details.get("error_code") != "INVALID_STATE":
                raise
        state = (await _cluster(ctx, cluster_id)).get("state")
        if state not in DOWN:
            raise ActionFailed(
                f"cluster {cluster_id} refused the restart and is {state}",
                {"cluster_id": cluster_id, "state": state},
            )
        ctx.log("info", f"cluster {cluster_id} stopped meanwhile ({state}): starting it")
        return await _post(ctx, "start", cluster_id)

    async def _wait(
        self, ctx: ActionContext, p: DatabricksRestartClusterParams, cluster: dict[str, Any]
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + p.max_wait_seconds
        ctx.log("info", f"waiting up to {p.max_wait_seconds:g}s for cluster {p.cluster_id}")
        while cluster.get("state") != "RUNNING":
            state = cluster.get("state")
            if state in DOWN or state == "TERMINATING":
                why = cluster.get("state_message")
                raise ActionFailed(
                    f"cluster {p.cluster_id} went {state} instead of RUNNING"
                    + (f": {why}" if why else ""),
                    {"cluster_id": p.cluster_id, "current_state": state},
                )
            if loop.time() + p.poll_seconds > deadline:
                raise ActionFailed(
                    f"cluster {p.cluster_id} was not RUNNING after {p.max_wait_seconds:g}s "
                    f"(it is {state})",
                    {"cluster_id": p.cluster_id, "current_state": state},
                )
            await asyncio.sleep(p.poll_seconds)
            cluster = await _cluster(ctx, p.cluster_id)
        ctx.log("info", f"cluster {p.cluster_id} is RUNNING")
        return cluster


async def _cluster(ctx: ActionContext, cluster_id: str) -> dict[str, Any]:
    executor = ctx.require_executor()
    response = await ctx.http.get(
        executor.url("/api/2.0/clusters/get"),
        params={"cluster_id": cluster_id},
        headers=executor.auth_headers(),
    )
    await checked(response, "Databricks clusters/get", ok=(200,), error=databricks_error)
    return json_object(response)


async def _post(ctx: ActionContext, operation: str, cluster_id: str) -> str:
    executor = ctx.require_executor()
    url = executor.url(f"/api/2.0/clusters/{operation}")
    ctx.log("info", f"POST {url} (cluster {cluster_id})")
    response = await ctx.http.post(
        url, json={"cluster_id": cluster_id}, headers=executor.auth_headers()
    )
    await checked(response, f"Databricks clusters/{operation}", ok=(200,), error=databricks_error)
    return operation
