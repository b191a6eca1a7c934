"""`logic_app_trigger`: start an Azure Logic App workflow through its HTTP ("When a HTTP request
is received") trigger, and wait for the workflow to post its result to the run's callback URL.

The trigger URL carries a SAS signature (`sig`), so it is a secret: it lives in the executor's
credentials (`trigger_url`) and only its host is ever logged or shown. The workflow gets the
incident, the run, and where and how to answer (`callback_url`, `callback_secret`, which signs its
answer), plus the `payload` parameters (a pipeline name, the failed run's id...). It answers 202
(or 200) at once; the outcome arrives later at the callback endpoint.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx
from pydantic import Field, field_validator

from imas.automation.actions.base import (
    Action,
    ActionContext,
    ActionFailed,
    ExecutorInfo,
    Outcome,
    Params,
    azure_error,
    checked,
)

RUN_KEYS = frozenset({"run_id", "attempt", "callback_url", "callback_secret"})
"""Body fields that belong to the run: `payload` cannot replace them."""


class LogicAppTriggerParams(Params):
    payload: dict[str, Any] = Field(
        default_factory=dict,
        description="More fields for the workflow (pipeline_name, original_run_id, error_type...)",
    )

    @field_validator("payload")
    @classmethod
    def _no_run_keys(cls, payload: dict[str, Any]) -> dict[str, Any]:
        taken = sorted(RUN_KEYS & set(payload))
        if taken:
            raise ValueError(f"payload cannot set {', '.join(taken)} (the run sets them)")
        return payload


class LogicAppTrigger(Action):
    kind = "logic_app_trigger"
    description = "Start an Azure Logic App workflow; it posts the result back to IMAS."
    Params = LogicAppTriggerParams
    executor_kinds: ClassVar[tuple[str, ...]] = ("logic_app",)
    executor_required = True
    max_retries = 3

    def _body(self, ctx: ActionContext) -> dict[str, Any]:
        p: LogicAppTriggerParams = ctx.params
        incident = ctx.incident
        return {
            "ticket_id": incident.short_id if incident else None,
            "incident_id": incident.id if incident else None,
            "title": incident.title if incident else None,
            "severity": incident.severity if incident else None,
            "service": incident.service if incident else None,
            **p.payload,
            "run_id": str(ctx.run_id),
            "attempt": ctx.attempt,
            "callback_url": ctx.callback_url,
            "callback_secret": ctx.callback_secret,
        }

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        body = self._body(ctx)
        body["callback_secret"] = "***" if body["callback_secret"] else ""
        return {"method": "POST", "host": _host(ctx.require_executor()), "body": body}

    async def run(self, ctx: ActionContext) -> Outcome:
        executor = ctx.require_executor()
        url = str(executor.credentials.get("trigger_url") or "")
        if not url.startswith(("https://", "http://")):
            raise ActionFailed(f"executor {executor.name} has no trigger_url in its credentials")
        host = _host(executor)
        ctx.log("info", f"triggering the Logic App at {host}")
        try:
            response = await ctx.http.post(
                url,
                json=self._body(ctx),
                headers={
                    "Idempotency-Key": ctx.idempotency_key(),
                    # becomes the workflow run's clientTrackingId (shown in its run history)
                    "x-ms-client-tracking-id": ctx.idempotency_key(),
                },
            )
        except httpx.HTTPError as exc:
            # the exception's text may quote the URL, and with it the signature
            raise ActionFailed(
                f"the Logic App at {host} could not be reached: {type(exc).__name__}"
            ) from None
        parsed = httpx.URL(url)
        await checked(
            response,
            f"the Logic App at {host}",
            ok=(200, 202),
            error=azure_error,
            hide=(parsed.query.decode(), parsed.params.get("sig") or ""),
        )
        details: dict[str, Any] = {"host": host, "status_code": response.status_code}
        if workflow_run := response.headers.get("x-ms-workflow-run-id"):
            details["workflow_run_id"] = workflow_run
        ctx.log(
            "info",
            f"Logic App answered HTTP {response.status_code}"
            + (f" (workflow run {workflow_run})" if workflow_run else "")
            + ": waiting for its callback",
        )
        return Outcome(True, details, waiting="callback")


def _host(executor: ExecutorInfo) -> str:
    try:
        return httpx.URL(str(executor.credentials.get("trigger_url") or "")).host or "?"
    except httpx.InvalidURL:
        return "?"
