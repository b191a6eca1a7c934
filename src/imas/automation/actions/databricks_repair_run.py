"""`databricks_repair_run`: re-run the failed tasks of a Databricks job run as part of that same
run, through the Jobs API 2.1 (`POST /api/2.1/jobs/runs/repair`).

The executor (kind `databricks`) holds the workspace URL and a `token` (sent as Bearer). Without
`task_keys` every failed task is re-run (`rerun_all_failed_tasks`); with them, those tasks
(`rerun_tasks`). A run repaired before can only be repaired again by naming its latest repair, so
the run's repair history is read first (`GET /api/2.1/jobs/runs/get?include_history=true`).
"""

from __future__ import annotations

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


class DatabricksRepairRunParams(Params):
    run_id: int = Field(gt=0, description="The job run to repair (not a task run)")
    task_keys: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="The tasks to re-run; empty: every failed task",
    )
    rerun_dependent_tasks: bool = Field(
        False, description="Also re-run the tasks depending on them, even if they succeeded"
    )


class DatabricksRepairRun(Action):
    kind = "databricks_repair_run"
    description = "Re-run the failed tasks of a Databricks job run (a repair)."
    Params = DatabricksRepairRunParams
    executor_kinds: ClassVar[tuple[str, ...]] = ("databricks",)
    executor_required = True
    max_retries = 3

    def _body(self, ctx: ActionContext) -> dict[str, Any]:
        p: DatabricksRepairRunParams = ctx.params
        body: dict[str, Any] = {"run_id": p.run_id}
        if p.task_keys:
            body["rerun_tasks"] = list(p.task_keys)
        else:
            body["rerun_all_failed_tasks"] = True
        if p.rerun_dependent_tasks:
            body["rerun_dependent_tasks"] = True
        return body

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        executor = ctx.require_executor()
        return {
            "read_history": f"GET {executor.url('/api/2.1/jobs/runs/get')}",
            "method": "POST",
            "url": executor.url("/api/2.1/jobs/runs/repair"),
            "body": self._body(ctx),
            "note": "latest_repair_id is added when the run was repaired before",
        }

    async def run(self, ctx: ActionContext) -> Outcome:
        p: DatabricksRepairRunParams = ctx.params
        executor = ctx.require_executor()
        body = self._body(ctx)
        try:
            latest = await self._latest_repair(ctx, p.run_id)
            if latest is not None:
                body["latest_repair_id"] = latest
            url = executor.url("/api/2.1/jobs/runs/repair")
            what = ", ".join(p.task_keys) or "all failed tasks"
            ctx.log("info", f"POST {url} (run {p.run_id}, {what})")
            response = await ctx.http.post(url, json=body, headers=executor.auth_headers())
        except httpx.HTTPError as exc:
            raise ActionFailed(f"Databricks could not be reached: {type(exc).__name__}") from None
        await checked(response, "Databricks jobs/runs/repair", ok=(200,), error=databricks_error)
        repair_id = json_object(response).get("repair_id")
        ctx.log("info", f"run {p.run_id} repair {repair_id} started")
        return Outcome(
            True,
            {
                "run_id": p.run_id,
                "repair_id": repair_id,
                "latest_repair_id": latest,
                "rerun_tasks": list(p.task_keys) or "all_failed",
            },
        )

    async def _latest_repair(self, ctx: ActionContext, run_id: int) -> int | None:
        """The id of the run's latest repair, None when it was never repaired."""
        executor = ctx.require_executor()
        response = await ctx.http.get(
            executor.url("/api/2.1/jobs/runs/get"),
            params={"run_id": str(run_id), "include_history": "true"},
            headers=executor.auth_headers(),
        )
        await checked(response, "Databricks jobs/runs/get", ok=(200,), error=databricks_error)
        history = json_object(response).get("repair_history")
        ids = [
            item["id"]
            for item in (history if isinstance(history, list) else [])
            if isinstance(item, dict)
            and item.get("type") == "REPAIR"
            and isinstance(item.get("id"), int)
        ]
        return max(ids) if ids else None
