"""`/api/v1/webhooks/<kind>/`: one receiver per alert source, authenticated by the key of an
integration of that kind (`Authorization: Bearer <key>`, or `?token=<key>` for tools that cannot
set headers). A post is taken whole or not at all, and answered 2xx only once committed; the
posts that arrive together are committed together (`imas.alerts.service.group_commit`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from imas.alerts.exceptions import InvalidIntegrationKey
from imas.alerts.presenters import WEBHOOKS
from imas.alerts.schemas import Received
from imas.alerts.service.group_commit import GroupCommit
from imas.alerts.sources import registry
from imas.alerts.sources.base import Source
from imas.api.deps import LimiterDep
from imas.api.ratelimit import client_address
from imas.errors import MalformedJson

router = APIRouter(prefix=WEBHOOKS, tags=["webhooks"])
JSON = "application/json"

TokenParam = Annotated[
    str | None,
    Query(
        max_length=200,
        description="The integration key, for tools that cannot set an Authorization header",
    ),
]


def _header_key(request: Request) -> str | None:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "token") and credential.strip():
        return credential.strip()
    return None


def _json(raw: bytes) -> Any:
    if not raw.strip():
        raise MalformedJson("The request body is empty; send the tool's JSON payload.")
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedJson(
            "The request body is not valid JSON; check quotes, commas and brackets."
        ) from None
    # In UTF-8 JSON a NUL can only come escaped (raw control characters are invalid); a body
    # in UTF-16 or UTF-32 has zero bytes anyway, and is walked.
    return _without_nul(payload) if b"\\u0000" in raw or b"\x00" in raw else payload


def _without_nul(value: Any) -> Any:
    """A tool's NUL characters become U+FFFD: refusing the post would make it retry forever,
    and no database column may hold NUL (the middleware lets webhook bodies through for this)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def _intake(request: Request) -> GroupCommit:
    intake: GroupCommit = request.app.state.intake
    return intake


def _receiver(source: type[Source]) -> Callable[..., Coroutine[Any, Any, Response]]:
    async def receive(request: Request, limiter: LimiterDep, token: TokenParam = None) -> Response:
        raw = await request.body()
        payload: Any = None
        key = _header_key(request) or token
        if not key:  # some tools carry it in the body (PagerDuty's routing_key)
            payload = _json(raw)
            key = source().key_in_payload(payload)
        if not key:
            await limiter.check(request, "anonymous", client_address(request))
            raise InvalidIntegrationKey(
                "Send the integration key as 'Authorization: Bearer <key>' or '?token=<key>'.",
                details={"reason": "missing key"},
            )
        await limiter.check(request, "webhooks", f"integration-key:{_key_id(key)}")
        if payload is None:
            payload = _json(raw)
        request_id = getattr(request.state, "request_id", None)
        try:
            received = await _intake(request).submit(source.kind, key, payload, request_id)
        except InvalidIntegrationKey:
            # Failed attempts count against the client's address, so guessing keys is throttled.
            await limiter.check(request, "anonymous", client_address(request))
            raise
        # Serialized once, here (the route's response_model documents it without validating
        # a hundred alerts' answers again).
        return Response(received.model_dump_json(), status_code=source.status_code, media_type=JSON)

    receive.__name__ = f"receive_{source.kind.replace('-', '_')}"
    return receive


def _key_id(key: str) -> str:
    """What the rate limiter keys a post on: not the key itself (a secret)."""
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A pydantic JSON schema with its `$defs` inlined (OpenAPI resolves no local `$defs`)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.removeprefix("#/$defs/")]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


def _body_schema(source: type[Source]) -> dict[str, Any]:
    one = _inline(source.payload_model.model_json_schema())
    if source.accepts_list:
        return {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]}
    return one


for _source in registry.all_sources():
    router.add_api_route(
        f"/{_source.kind}/",
        _receiver(_source),
        methods=["POST"],
        response_model=Received,
        status_code=_source.status_code,
        summary=f"Receive {_source.title} alerts",
        description=(_source.__doc__ or "").strip(),
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _body_schema(_source)}},
            }
        },
    )
