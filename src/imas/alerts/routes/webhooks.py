"""`/api/v1/webhooks/<kind>/`: one receiver per alert source, authenticated by the key of an
integration of that kind (`Authorization: Bearer <key>`, or `?token=<key>` for tools that cannot
set headers). A post is taken whole or not at all, and answered 2xx only once committed (the
request's session commits before the answer is sent)."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from imas.alerts import repository, service
from imas.alerts.exceptions import (
    IntegrationDisabled,
    IntegrationKindMismatch,
    InvalidIntegrationKey,
)
from imas.alerts.models import Integration
from imas.alerts.presenters import WEBHOOKS, webhook_url
from imas.alerts.schemas import Received, ReceivedAlert
from imas.alerts.sources import registry
from imas.alerts.sources.base import Source
from imas.api.deps import LimiterDep, SessionDep
from imas.api.ratelimit import client_address
from imas.errors import MalformedJson

router = APIRouter(prefix=WEBHOOKS, tags=["webhooks"])

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
        return _without_nul(json.loads(raw))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedJson(
            "The request body is not valid JSON; check quotes, commas and brackets."
        ) from None


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


async def _integration(
    request: Request, session: SessionDep, limiter: LimiterDep, key: str | None, kind: str
) -> Integration:
    if not key:
        await limiter.check(request, "anonymous", client_address(request))
        raise InvalidIntegrationKey(
            "Send the integration key as 'Authorization: Bearer <key>' or '?token=<key>'.",
            details={"reason": "missing key"},
        )
    integration = await service.by_key(session, key)
    if integration is None:
        # Failed attempts count against the client's address, so guessing keys is throttled.
        await limiter.check(request, "anonymous", client_address(request))
        raise InvalidIntegrationKey(
            "No integration has this key: check it, or rotate the integration's key and "
            "configure the new one.",
            details={"reason": "unknown key"},
        )
    if not integration.is_active:
        raise IntegrationDisabled(
            f"Integration '{integration.name}' is disabled; an admin can enable it again.",
            details={"integration_id": str(integration.id)},
        )
    if integration.kind != kind:
        raise IntegrationKindMismatch(
            f"This key belongs to a {integration.kind} integration: post to "
            f"{webhook_url(integration.kind)} instead of {webhook_url(kind)}.",
            details={"integration_kind": integration.kind, "receiver_kind": kind},
        )
    return integration


def _receiver(source: type[Source]) -> Callable[..., Coroutine[Any, Any, Received]]:
    async def receive(
        request: Request, session: SessionDep, limiter: LimiterDep, token: TokenParam = None
    ) -> Received:
        raw = await request.body()
        payload: Any = None
        key = _header_key(request) or token
        if not key:  # some tools carry it in the body (PagerDuty's routing_key)
            payload = _json(raw)
            key = source().key_in_payload(payload)
        integration = await _integration(request, session, limiter, key, source.kind)
        session.info.update(
            organization_id=integration.organization_id,
            actor_id=None,
            actor_name=f"integration:{integration.name}",
            request_id=getattr(request.state, "request_id", None),
        )
        await limiter.check(request, "webhooks", f"integration:{integration.id}")
        if payload is None:
            payload = _json(raw)
        configured = service.source_of(integration)
        alerts = configured.parse(payload)
        outcomes = await service.ingest(session, integration, alerts)
        short_ids = await repository.short_ids(
            session, {o.incident_id for o in outcomes if o.incident_id is not None}
        )
        received = [
            ReceivedAlert(
                id=o.alert_id,
                fingerprint=o.fingerprint,
                status=o.status,
                incident=short_ids.get(o.incident_id) if o.incident_id else None,
                deduplicated=o.deduplicated,
                silenced=o.silenced,
            )
            for o in outcomes
        ]
        return Received(
            received=len(alerts),
            alerts=received,
            **configured.response_extra(alerts, received),
        )

    receive.__name__ = f"receive_{source.kind.replace('-', '_')}"
    return receive


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
