"""`adf_rerun_pipeline`: re-run a failed Azure Data Factory pipeline run in recovery mode
(`Pipelines - Create Run`, api-version 2018-06-01, with `referencePipelineRunId` and
`isRecovery=true`: the new run reuses the failed run's parameters and is grouped with it).

The executor (kind `azure`) holds:
- base_url: the Resource Manager URL (default `https://management.azure.com`);
- config: `subscription_id`, `resource_group`, `factory_name`, optionally `authority_url`
  (default `https://login.microsoftonline.com`) and `scope` (default
  `https://management.azure.com/.default`, another cloud's management scope otherwise);
- credentials: a service principal's `tenant_id`, `client_id` and `client_secret`, exchanged
  for an Azure AD token (client-credentials grant) at every run.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from pydantic import AliasChoices, Field

from imas.automation.actions.base import (
    Action,
    ActionContext,
    ActionFailed,
    ExecutorInfo,
    Outcome,
    Params,
    azure_error,
    checked,
    json_object,
)

API_VERSION = "2018-06-01"
MANAGEMENT_URL = "https://management.azure.com"
AUTHORITY_URL = "https://login.microsoftonline.com"
SCOPE = "https://management.azure.com/.default"
CONFIG_KEYS = ("subscription_id", "resource_group", "factory_name")
CREDENTIAL_KEYS = ("tenant_id", "client_id", "client_secret")


class AdfRerunPipelineParams(Params):
    pipeline_name: str = Field(
        min_length=1,
        max_length=260,
        pattern=r"^[A-Za-z0-9_][^<>*#.%&:\\+?/]*$",
        description="The pipeline",
    )
    run_id: str = Field(
        min_length=1,
        max_length=100,
        validation_alias=AliasChoices("run_id", "original_run_id"),
        description="The failed pipeline run to re-run (also accepted as `original_run_id`)",
    )
    start_activity: str | None = Field(
        None, min_length=1, description="Re-run from this activity; absent: see start_from_failure"
    )
    start_from_failure: bool = Field(
        False,
        description="Without start_activity: re-run from the failed activities (else all of them)",
    )


class AdfRerunPipeline(Action):
    kind = "adf_rerun_pipeline"
    description = "Re-run a failed Azure Data Factory pipeline run (recovery mode)."
    Params = AdfRerunPipelineParams
    executor_kinds: ClassVar[tuple[str, ...]] = ("azure",)
    executor_required = True
    max_retries = 3

    def _request(self, ctx: ActionContext) -> tuple[str, dict[str, str]]:
        p: AdfRerunPipelineParams = ctx.params
        executor = ctx.require_executor()
        missing = [k for k in CONFIG_KEYS if not executor.config.get(k)]
        if missing:
            raise ActionFailed(
                f"executor {executor.name} has no {', '.join(missing)} in its config",
                {"missing_config": missing},
            )
        c = {k: quote(str(executor.config[k]), safe="") for k in CONFIG_KEYS}
        base = (executor.base_url or MANAGEMENT_URL).rstrip("/")
        url = (
            f"{base}/subscriptions/{c['subscription_id']}/resourceGroups/{c['resource_group']}"
            f"/providers/Microsoft.DataFactory/factories/{c['factory_name']}"
            f"/pipelines/{quote(p.pipeline_name, safe='')}/createRun"
        )
        query = {
            "api-version": API_VERSION,
            "referencePipelineRunId": p.run_id,
            "isRecovery": "true",
        }
        if p.start_activity is not None:
            query["startActivityName"] = p.start_activity
        elif p.start_from_failure:
            query["startFromFailure"] = "true"
        return url, query

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        url, query = self._request(ctx)
        return {
            "token": f"POST {_token_url(ctx.require_executor())} (client credentials)",
            "method": "POST",
            "url": url,
            "query": query,
        }

    async def run(self, ctx: ActionContext) -> Outcome:
        p: AdfRerunPipelineParams = ctx.params
        executor = ctx.require_executor()
        url, query = self._request(ctx)
        try:
            token = await _token(ctx, executor)
            ctx.log("info", f"POST {url} (re-run of {p.run_id})")
            response = await ctx.http.post(
                url,
                params=query,
                json={},
                headers={
                    "Authorization": f"Bearer {token}",
                    # ARM's request id (traces the call; Data Factory does not dedupe on it)
                    "x-ms-client-request-id": str(
                        uuid.uuid5(uuid.NAMESPACE_URL, ctx.idempotency_key())
                    ),
                },
            )
        except httpx.HTTPError as exc:
            raise ActionFailed(f"Azure could not be reached: {type(exc).__name__}") from None
        await checked(response, "Data Factory createRun", ok=(200,), error=azure_error)
        new_run = json_object(response).get("runId")
        if not new_run:
            raise ActionFailed(
                "Data Factory answered without a runId", {"response": response.text[:500]}
            )
        ctx.log("info", f"pipeline {p.pipeline_name} re-run started: run {new_run}")
        return Outcome(
            True,
            {
                "run_id": new_run,
                "reference_run_id": p.run_id,
                "pipeline_name": p.pipeline_name,
                "factory_name": executor.config["factory_name"],
            },
        )


def _token_url(executor: ExecutorInfo) -> str:
    authority = str(executor.config.get("authority_url") or AUTHORITY_URL).rstrip("/")
    tenant = quote(str(executor.credentials.get("tenant_id", "")), safe="")
    return f"{authority}/{tenant}/oauth2/v2.0/token"


async def _token(ctx: ActionContext, executor: ExecutorInfo) -> str:
    """An Azure AD access token for the service principal (client-credentials grant)."""
    missing = [k for k in CREDENTIAL_KEYS if not executor.credentials.get(k)]
    if missing:
        raise ActionFailed(
            f"executor {executor.name} has no {', '.join(missing)} in its credentials",
            {"missing_credentials": missing},
        )
    url = _token_url(executor)
    ctx.log("info", f"requesting an Azure AD token from {httpx.URL(url).host}")
    response = await ctx.http.post(
        url,
        data={
            "grant_type": "client_credentials",
            "client_id": str(executor.credentials["client_id"]),
            "client_secret": str(executor.credentials["client_secret"]),
            "scope": str(executor.config.get("scope") or SCOPE),
        },
    )
    await checked(response, "Azure AD token endpoint", ok=(200,), error=azure_error)
    token = json_object(response).get("access_token")
    if not isinstance(token, str) or not token:
        raise ActionFailed("Azure AD answered without an access_token")
    return token
