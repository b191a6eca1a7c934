"""`/api/v1/ci/webhooks/github/` and `/gitlab/`: unauthenticated but for the signature of the
repository's webhook secret. Answered once committed; failed signatures count against the
client's address, accepted webhooks against their repository (the `webhooks` rate limit)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request

from imas.api.deps import LimiterDep, SessionDep, SettingsDep
from imas.api.ratelimit import client_address
from imas.cicd.exceptions import InvalidSignature
from imas.cicd.models import CiRepository, Provider
from imas.cicd.providers import github, gitlab
from imas.cicd.schemas import WebhookAnswer
from imas.cicd.service import receive
from imas.errors import MalformedJson

router = APIRouter(prefix="/api/v1/ci/webhooks", tags=["ci/cd"])

Hdr = Annotated[str | None, Header(max_length=500)]


def _json(raw: bytes) -> Any:
    if not raw.strip():
        raise MalformedJson("The request body is empty; send the provider's JSON payload.")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedJson(
            "The request body is not valid JSON: set the webhook's content type to "
            "application/json."
        ) from None


async def _verified(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    provider: Provider,
    full_name: str,
    raw: bytes,
    credential: receive.Credential,
) -> CiRepository:
    try:
        repo = await receive.authenticate(session, provider, full_name, raw, credential, settings)
    except InvalidSignature:
        await limiter.check(request, "anonymous", client_address(request))
        raise
    await limiter.check(request, "webhooks", f"ci-repository:{repo.id}")
    return repo


@router.post(
    "/github/",
    response_model=WebhookAnswer,
    summary="Receive GitHub webhooks (workflow_run, workflow_job, push)",
)
async def receive_github(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    x_github_event: Hdr = None,
    x_hub_signature_256: Hdr = None,
) -> WebhookAnswer:
    raw = await request.body()
    payload = _json(raw)
    name = github.repository_of(payload)
    if name is None:  # an organization-level event (or not GitHub's): nothing to record
        return WebhookAnswer(status="ignored", ignored="the payload names no repository")
    credential = receive.Credential(signature=x_hub_signature_256 or "")
    repo = await _verified(
        request, session, settings, limiter, Provider.GITHUB, name, raw, credential
    )
    event = (x_github_event or "").strip()
    if event == "ping":
        return WebhookAnswer(status="ignored", ignored="ping: the signature is right")
    if event not in github.HANDLED:
        return WebhookAnswer(status="ignored", ignored=f"event '{event or '?'}' is not recorded")
    return await receive.record(session, repo, github.parse(event, payload))


@router.post(
    "/gitlab/", response_model=WebhookAnswer, summary="Receive GitLab webhooks (Pipeline Hook)"
)
async def receive_gitlab(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    x_gitlab_event: Hdr = None,
    x_gitlab_token: Hdr = None,
) -> WebhookAnswer:
    raw = await request.body()
    payload = _json(raw)
    name = gitlab.repository_of(payload)
    if name is None:
        return WebhookAnswer(status="ignored", ignored="the payload names no project")
    credential = receive.Credential(token=x_gitlab_token or "")
    repo = await _verified(
        request, session, settings, limiter, Provider.GITLAB, name, raw, credential
    )
    kind = payload.get("object_kind") if isinstance(payload, dict) else None
    if x_gitlab_event not in gitlab.HANDLED and kind != "pipeline":
        return WebhookAnswer(
            status="ignored", ignored=f"event '{x_gitlab_event or kind or '?'}' is not recorded"
        )
    return await receive.record(session, repo, gitlab.parse(payload))
