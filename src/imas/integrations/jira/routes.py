"""`/api/v1/integrations/jira/` (an admin connects a JIRA project) and
`/api/v1/webhooks/jira/?secret=...` (seed 004's `/jira-webhook`: JIRA's status changes)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import LimiterDep, SessionDep, SettingsDep, require
from imas.api.ratelimit import client_address
from imas.auth.scopes import ADMIN
from imas.auth.service import Principal
from imas.errors import MalformedJson
from imas.integrations.jira import service
from imas.integrations.jira.exceptions import InvalidWebhookSecret
from imas.integrations.jira.models import JiraConfig
from imas.integrations.jira.schemas import (
    JiraConfigIn,
    JiraConfigRead,
    JiraConfigSaved,
    JiraWebhookResult,
)

config_router = APIRouter(prefix="/api/v1/integrations/jira", tags=["integrations"])
webhook_router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])
Admin = Annotated[Principal, Depends(require(ADMIN))]


def _read(config: JiraConfig) -> JiraConfigRead:
    return JiraConfigRead.model_validate(config)


@config_router.get("/", response_model=JiraConfigRead, summary="The JIRA configuration")
async def get_jira(session: SessionDep, _: Admin) -> JiraConfigRead:
    return _read(await service.get_config(session))


@config_router.put(
    "/",
    response_model=JiraConfigSaved,
    responses={201: {"model": JiraConfigSaved, "description": "Created (the first PUT)"}},
    summary="Connect JIRA, or change its configuration (the webhook secret is shown once)",
)
async def put_jira(
    data: JiraConfigIn, session: SessionDep, settings: SettingsDep, _: Admin, response: Response
) -> JiraConfigSaved:
    config, webhook_secret, created = await service.put_config(session, data, settings)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return JiraConfigSaved(**_read(config).model_dump(), webhook_secret=webhook_secret)


@config_router.delete(
    "/", status_code=status.HTTP_204_NO_CONTENT, response_class=Response, summary="Disconnect"
)
async def delete_jira(session: SessionDep, _: Admin) -> Response:
    await service.delete_config(session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@webhook_router.post(
    "/jira/",
    response_model=JiraWebhookResult,
    summary="Receive JIRA issue updates (status sync; seed 004's /jira-webhook)",
)
async def receive_jira(
    request: Request,
    session: SessionDep,
    limiter: LimiterDep,
    secret: Annotated[str | None, Query(max_length=200)] = None,
) -> JiraWebhookResult:
    try:
        config = await service.webhook_config(session, secret)
    except InvalidWebhookSecret:
        await limiter.check(request, "anonymous", client_address(request))
        raise
    await limiter.check(request, "webhooks", f"jira:{service.hash_secret(secret or '')[:24]}")
    raw = await request.body()
    try:
        payload: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedJson() from None
    if not isinstance(payload, dict):
        raise MalformedJson("Expected JIRA's webhook JSON object.")
    return await service.apply_webhook(session, config, payload)


routers = [config_router, webhook_router]
