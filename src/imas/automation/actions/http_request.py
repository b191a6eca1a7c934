"""`http_request`: one HTTP call, e.g. a service's own restart or cache-flush endpoint.

The URL is a path under an executor's base URL (its credentials sent as headers) or, without
an executor, an absolute URL, which must not point at a private address unless
`IMAS_WEBHOOK_ALLOW_PRIVATE` allows it (executors are set up by admins and may). Strings in
`path`, `url`, `headers` and `body` are templates rendered by a sandboxed Jinja2 with the
incident (`{{ incident.short_id }}`, `{{ incident.service }}`) and the run (`{{ run.id }}`,
`{{ run.attempt }}`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from imas.automation.actions.base import (
    RESPONSE_EXCERPT,
    Action,
    ActionContext,
    ActionFailed,
    Outcome,
    Params,
)
from imas.automation.templating import render
from imas.errors import ValidationFailed
from imas.notify import destinations


class HttpRequestParams(Params):
    executor: str | None = Field(None, description="Name of the executor to call through")
    path: str = Field("", description="With an executor: the path under its base URL")
    url: str = Field("", description="Without an executor: the absolute URL to call")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = Field(None, description="JSON body (templated)")
    expected_status: list[int] = Field(
        default_factory=list, description="Statuses that mean success (default: any 2xx)"
    )


class HttpRequest(Action):
    kind = "http_request"
    description = "Call a URL (a service's restart endpoint, a webhook) and check its status."
    Params = HttpRequestParams
    executor_kinds: ClassVar[tuple[str, ...]] = ("http",)

    def check(self, params: Any, has_executor: bool) -> None:
        if not has_executor and not params.url.startswith(("http://", "https://")):
            raise ValidationFailed.field(
                "parameters", "give an executor (and a path) or an absolute http(s) url"
            )

    def _request(self, ctx: ActionContext) -> tuple[str, str, dict[str, str], Any]:
        p: HttpRequestParams = ctx.params
        values = template_values(ctx)
        headers = {k: render(v, values) for k, v in p.headers.items()}
        if ctx.executor is not None:
            url = ctx.executor.url(render(p.path, values))
        else:
            url = render(p.url, values)
        return p.method, url, headers, render(p.body, values)

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        method, url, headers, body = self._request(ctx)
        return {"method": method, "url": url, "headers": sorted(headers), "body": body}

    async def run(self, ctx: ActionContext) -> Outcome:
        p: HttpRequestParams = ctx.params
        method, url, headers, body = self._request(ctx)
        if ctx.executor is None:
            try:
                await destinations.target(url, ctx.settings.webhook_allow_private)
            except (destinations.DestinationRefused, destinations.DestinationUnresolvable) as exc:
                raise ActionFailed(str(exc)) from None
        else:
            headers = {**ctx.require_executor().auth_headers(), **headers}
        headers["Idempotency-Key"] = ctx.idempotency_key()
        ctx.log("info", f"{method} {url}")
        response = await ctx.http.request(method, url, headers=headers, json=body)
        ok = (
            response.status_code in p.expected_status
            if p.expected_status
            else 200 <= response.status_code < 300
        )
        details = {
            "url": url,
            "method": method,
            "status_code": response.status_code,
            "response": response.text[:RESPONSE_EXCERPT],
        }
        ctx.log("info" if ok else "error", f"answered HTTP {response.status_code}")
        if not ok:
            return Outcome(False, details, error=f"{url} answered HTTP {response.status_code}")
        return Outcome(True, details)


def template_values(ctx: ActionContext) -> dict[str, Any]:
    return {
        "incident": ctx.incident.__dict__ if ctx.incident else {},
        "run": {"id": str(ctx.run_id), "attempt": ctx.attempt},
    }
