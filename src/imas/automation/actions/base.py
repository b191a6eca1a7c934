"""What a run action is: one class per file in `imas.automation.actions`, with a typed
`Params` model (validated when the run is requested, so bad parameters are a 400 before
anything runs) and one `run(ctx) -> Outcome` method.

An action reports a failure by raising `ActionFailed` (with what the remote system answered) or
by returning `Outcome(success=False)`; any other exception it lets out is a failure too. It
never retries by itself: the engine decides about the next attempt. It writes what it does to
`ctx.log` (the run's log a person reads afterwards) and never logs a credential.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import httpx
from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings

Level = Literal["debug", "info", "warning", "error"]
RESPONSE_EXCERPT = 500
"""The most of a remote answer's body kept in a failure's details."""


class Params(BaseModel):
    """Base of every action's parameters: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class ActionFailed(Exception):
    """The action did not do what it was asked (a remote error answer, a refused request)."""

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


@dataclass(frozen=True)
class ExecutorInfo:
    """An executor as actions see it: where to call and with what (credentials decrypted)."""

    name: str
    kind: str
    base_url: str
    config: dict[str, Any]
    credentials: dict[str, Any]

    def auth_headers(self) -> dict[str, str]:
        """`token` -> Bearer; `username` + `password` -> Basic; plus any `headers` given."""
        headers: dict[str, str] = {
            str(k): str(v) for k, v in self.credentials.get("headers", {}).items()
        }
        if token := self.credentials.get("token"):
            headers["Authorization"] = f"Bearer {token}"
        elif (user := self.credentials.get("username")) is not None:
            pair = f"{user}:{self.credentials.get('password', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        return headers

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class IncidentInfo:
    id: str
    short_id: str
    title: str
    severity: str
    status: str
    service: str


@dataclass
class ActionContext:
    run_id: uuid.UUID
    attempt: int
    params: Any
    """The action's validated `Params` instance."""
    http: httpx.AsyncClient
    settings: Settings
    log: Callable[[Level, str], None]
    executor: ExecutorInfo | None = None
    incident: IncidentInfo | None = None
    callback_url: str = ""
    """Where a remote system answering later posts its result (`/api/v1/remediation/callback/`)."""
    callback_secret: str = ""
    """The run's secret that signs such an answer (`X-Signature-256`)."""
    resume: dict[str, Any] = field(default_factory=dict)
    """What a waiting run was given to go on with (a confirmed runbook step)."""
    state: dict[str, Any] = field(default_factory=dict)
    """What the action saved when it last stopped to wait (a runbook's next step)."""
    loaded: dict[str, Any] = field(default_factory=dict)
    """What the action's `load` read from the database for this execution."""

    def require_executor(self) -> ExecutorInfo:
        if self.executor is None:
            raise ActionFailed("this action needs an executor and none was given")
        return self.executor

    def idempotency_key(self) -> str:
        """The same for every call of one attempt: a receiver that dedupes on it never acts
        twice on one attempt."""
        return f"{self.run_id}:{self.attempt}"


@dataclass
class Outcome:
    success: bool
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    waiting: str | None = None
    """Set when the action has started something whose result comes later: `callback` (the
    remote system posts it) or `confirmation` (a person confirms a runbook step)."""
    state: dict[str, Any] = field(default_factory=dict)
    """What to give back in `ctx.state` when the run goes on after waiting."""


class Action:
    kind: ClassVar[str]
    """The name requests use (`restart_service`)."""
    description: ClassVar[str] = ""
    Params: ClassVar[type[Params]] = Params
    executor_kinds: ClassVar[tuple[str, ...]] = ()
    """The executor kinds this action can use; empty: it needs none."""
    executor_required: ClassVar[bool] = False
    max_retries: ClassVar[int] = 3
    """Attempts in all (the seed's `max_retries`: the third attempt is the last of 3)."""
    admin_only: ClassVar[bool] = False
    live: ClassVar[bool] = False
    """Its log is saved (and sent to the run's WebSocket) while it runs, and a stop request
    cancels it, rather than both waiting for its end."""

    async def run(self, ctx: ActionContext) -> Outcome:
        raise NotImplementedError

    def check(self, params: Any, has_executor: bool) -> None:
        """Refuse (ValidationFailed) parameters that cannot work with or without an executor."""

    async def load(self, session: AsyncSession, params: Any, settings: Settings) -> dict[str, Any]:
        """Read what `run` needs from IMAS's database (run itself is outside any transaction);
        also called when the run is requested, to refuse what cannot work (ValidationFailed)."""
        return {}

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        """What `run` would do, for a dry run: no call is made, no credential shown."""
        return {"action": self.kind, "parameters": ctx.params.model_dump(mode="json")}


ErrorReader = Callable[[dict[str, Any]], tuple[object, object]]
"""A remote API's error body -> (its error code, its message)."""


def databricks_error(body: dict[str, Any]) -> tuple[object, object]:
    """Databricks: `{"error_code", "message"}`."""
    return body.get("error_code"), body.get("message")


def azure_error(body: dict[str, Any]) -> tuple[object, object]:
    """Resource Manager and Logic Apps: `{"error": {"code", "message"}}`; Azure AD:
    `{"error", "error_description"}`."""
    found = body.get("error")
    if isinstance(found, dict):
        return found.get("code"), found.get("message")
    return found, body.get("error_description")


def airflow_error(body: dict[str, Any]) -> tuple[object, object]:
    """Airflow: problem+json (`title`, `detail`)."""
    return None, ": ".join(
        str(body[k]) for k in ("title", "detail") if body.get(k) not in (None, "")
    )


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object ({} when it is not one)."""
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


async def checked(
    response: httpx.Response,
    what: str,
    ok: tuple[int, ...] = (200, 201, 202, 204),
    *,
    error: ErrorReader | None = None,
    hide: tuple[str, ...] = (),
) -> httpx.Response:
    """`response` when its status is one of `ok`, else ActionFailed with the remote answer:
    its error code and message as `error` reads them from the body, and the strings of `hide`
    (a URL's signature) masked wherever the answer quotes them."""
    if response.status_code in ok:
        return response
    code, message = error(json_object(response)) if error else (None, None)
    text = ": ".join(str(v) for v in (code, message) if v)
    body = response.text[:RESPONSE_EXCERPT]
    for secret in (h for h in hide if h):
        body, text = body.replace(secret, "***"), text.replace(secret, "***")
    summary = f"{what} answered HTTP {response.status_code}"
    details: dict[str, Any] = {"status_code": response.status_code, "response": body}
    if error is not None:
        details["error_code"] = code
    raise ActionFailed(f"{summary}: {text}" if text else summary, details)
