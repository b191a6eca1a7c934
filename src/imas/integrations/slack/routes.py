"""`/api/v1/integrations/slack/` (an admin connects a workspace) and `/api/v1/slack/...` (what
Slack sends: seed 000's "Intégration Slack" endpoints, each request verified by its signature)."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from imas.api.deps import LimiterDep, SessionDep, SettingsDep, require
from imas.api.ratelimit import client_address
from imas.auth.scopes import ADMIN
from imas.auth.service import Principal
from imas.errors import MalformedJson
from imas.integrations.slack import inbound, service
from imas.integrations.slack.exceptions import InvalidSlackSignature
from imas.integrations.slack.models import SlackConfig
from imas.integrations.slack.schemas import SlackConfigIn, SlackConfigRead

config_router = APIRouter(prefix="/api/v1/integrations/slack", tags=["integrations"])
slack_router = APIRouter(prefix="/api/v1/slack", tags=["slack"])
Admin = Annotated[Principal, Depends(require(ADMIN))]


def _read(config: SlackConfig) -> SlackConfigRead:
    return SlackConfigRead.model_validate(config)


@config_router.get("/", response_model=SlackConfigRead, summary="The Slack configuration")
async def get_slack(session: SessionDep, _: Admin) -> SlackConfigRead:
    return _read(await service.get_config(session))


@config_router.put(
    "/",
    response_model=SlackConfigRead,
    responses={201: {"model": SlackConfigRead, "description": "Created (the first PUT)"}},
    summary="Connect a Slack workspace, or change its configuration (secrets never returned)",
)
async def put_slack(
    data: SlackConfigIn, session: SessionDep, settings: SettingsDep, _: Admin, response: Response
) -> SlackConfigRead:
    config, created = await service.put_config(session, data, settings)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return _read(config)


@config_router.delete(
    "/",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Disconnect Slack",
)
async def delete_slack(session: SessionDep, _: Admin) -> Response:
    await service.delete_config(session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _verified(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    body: bytes,
    team_id: str | None,
) -> SlackConfig:
    try:
        return await inbound.verified_config(
            session,
            settings,
            body,
            request.headers.get("x-slack-request-timestamp"),
            request.headers.get("x-slack-signature"),
            team_id,
        )
    except InvalidSlackSignature:
        # Failed attempts count against the client's address, so guessing is throttled.
        await limiter.check(request, "anonymous", client_address(request))
        raise


def _form(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        raise MalformedJson("The request body is not a URL-encoded form.") from None


def _json(raw: str | bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedJson() from None
    if not isinstance(value, dict):
        raise MalformedJson("Expected a JSON object.")
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@slack_router.post("/commands/", summary="Slash command `/imas incident ...`")
async def slack_command(
    request: Request, session: SessionDep, settings: SettingsDep, limiter: LimiterDep
) -> Response:
    body = await request.body()
    form = _form(body)
    config = await _verified(request, session, settings, limiter, body, form.get("team_id"))
    answer = await inbound.command(session, settings, config, form)
    return JSONResponse(answer) if answer else Response(status_code=status.HTTP_200_OK)


@slack_router.post("/interactive/", summary="Buttons and modal submissions")
async def slack_interactive(
    request: Request, session: SessionDep, settings: SettingsDep, limiter: LimiterDep
) -> Response:
    body = await request.body()
    payload = _json(_form(body).get("payload", ""))
    team = payload.get("team")
    team_id = (team.get("id") if isinstance(team, dict) else None) or payload.get("team_id")
    config = await _verified(request, session, settings, limiter, body, _text(team_id))
    answer = await inbound.interaction(session, settings, config, payload)
    return JSONResponse(answer) if answer else Response(status_code=status.HTTP_200_OK)


@slack_router.post("/events/", summary="Events API: url_verification and app_mention")
async def slack_events(
    request: Request, session: SessionDep, settings: SettingsDep, limiter: LimiterDep
) -> Response:
    body = await request.body()
    payload = _json(body)
    team_id = payload.get("team_id") if payload.get("type") != "url_verification" else None
    config = await _verified(request, session, settings, limiter, body, _text(team_id))
    if payload.get("type") == "url_verification":
        return JSONResponse({"challenge": payload.get("challenge", "")})
    if request.headers.get("x-slack-retry-num"):
        return Response(status_code=status.HTTP_200_OK)  # answered the first time already
    if payload.get("type") == "event_callback":
        await inbound.event(session, settings, config, payload)
    return Response(status_code=status.HTTP_200_OK)


routers = [config_router, slack_router]
