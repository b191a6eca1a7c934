"""One pure-ASGI middleware for what every HTTP request needs.

It gives the request an id (kept from `X-Request-ID` when sane), refuses bodies above the
configured size with 413 and NUL characters with 400, adds `X-Request-ID` and the rate-limit
headers to the answer, and records the request in the access log and the Prometheus metrics.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imas.api.errors import error_response
from imas.metrics import HTTP_IN_PROGRESS, HTTP_LATENCY, HTTP_REQUESTS

log = structlog.get_logger("imas.http")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# NUL is no character of any text IMAS stores (PostgreSQL refuses it in text columns), so it is
# turned away at the door, in the query string, a raw body or a JSON "\u0000" escape.
_NUL_IN_URL = re.compile(rb"%00")
_NUL_IN_BODY = re.compile(rb"\x00|\\u0000")
WEBHOOK_PREFIX = "/api/v1/webhooks/"
_NUL_MESSAGE = "NUL characters (\\u0000) are not accepted in IMAS requests."


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        given = headers.get("x-request-id", "")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                out = MutableHeaders(scope=message)
                out["X-Request-ID"] = request_id
                rate = state.get("ratelimit")
                if rate is not None:
                    out["X-RateLimit-Limit"] = str(rate.limit)
                    out["X-RateLimit-Remaining"] = str(rate.remaining)
                    out["X-RateLimit-Reset"] = str(rate.reset)
            await send(message)

        HTTP_IN_PROGRESS.inc()
        try:
            declared = headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                await self._too_large(scope, receive, send_wrapper)
            elif _NUL_IN_URL.search(scope.get("query_string", b"")) or "\x00" in scope["path"]:
                await self._refuse_nul(scope, receive, send_wrapper)
            else:
                # Monitoring tools' payloads are cleaned by their receivers instead (a refusal
                # would make the tool retry forever): see imas.alerts.routes.webhooks.
                webhook = scope["path"].startswith(WEBHOOK_PREFIX)
                await self.app(scope, self._limited(receive, refuse_nul=not webhook), send_wrapper)
        finally:
            HTTP_IN_PROGRESS.dec()
            elapsed = time.perf_counter() - started
            route = _route_label(scope)
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], route).observe(elapsed)
            log.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")

    def _limited(self, receive: Receive, *, refuse_nul: bool = True) -> Receive:
        received = 0
        limit = self.max_body_bytes
        tail = b""

        async def wrapped() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise HTTPException(413, detail=f"The request body exceeds {limit} bytes.")
                if refuse_nul and _NUL_IN_BODY.search(tail + chunk):
                    raise HTTPException(400, detail=_NUL_MESSAGE)
                tail = chunk[-5:]
            return message

        return wrapped

    async def _refuse_nul(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            Request(scope), 400, error="Bad request", code="bad_request", message=_NUL_MESSAGE
        )
        await response(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            Request(scope),
            413,
            error="Payload too large",
            code="payload_too_large",
            message=f"The request body exceeds {self.max_body_bytes} bytes.",
        )
        await response(scope, receive, send)
