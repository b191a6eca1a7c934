"""What Slack sends IMAS: slash commands, interactions (buttons, modal submissions) and events.

Every request is verified first (`verified_config`): Slack signs `v0:<timestamp>:<raw body>` with
the app's signing secret (HMAC-SHA256, `X-Slack-Signature: v0=<hex>`), and a request older than
five minutes is refused, so a captured request cannot be replayed. The workspace (`team_id`)
names the organization; its secret must verify the request, or nothing happens (401).

The Slack user acting is the IMAS member with the same e-mail (`users.info`); anyone else gets an
ephemeral error. Replies that only the user should see are ephemeral.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import structlog
from pydantic import ValidationError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.errors import IMASError
from imas.incidents import service as incidents
from imas.incidents.schemas import IncidentCreate
from imas.integrations.common import can_write_incidents, member_by_email
from imas.integrations.slack import blocks, client, repository
from imas.integrations.slack.exceptions import InvalidSlackSignature, SlackError
from imas.integrations.slack.models import SlackConfig
from imas.notify import crypto
from imas.orgs.models import User

log = structlog.get_logger("imas.slack")
_SHORT_ID = re.compile(r"\bINC-[A-Z0-9]{6}\b", re.IGNORECASE)


async def verified_config(
    session: AsyncSession,
    settings: Settings,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    team_id: str | None,
) -> SlackConfig:
    """The configuration whose signing secret signed this request; binds the session to its
    organization. 401 for a bad, missing or stale signature, or an unknown workspace."""
    if team_id:
        found = await repository.config_by_team(session, team_id)
        candidates = [found] if found is not None else []
    else:  # url_verification names no workspace
        candidates = list(await repository.all_active_configs(session))
    for config in candidates:
        try:
            secret = client.secrets_of(config, settings).signing_secret
        except crypto.SecretUnreadable:
            continue
        try:
            valid = SignatureVerifier(secret).is_valid(body, timestamp, signature)
        except ValueError:  # a timestamp that is not a number
            valid = False
        if valid:
            session.info["organization_id"] = config.organization_id
            return config
    raise InvalidSlackSignature(
        "The request is not signed by a connected Slack workspace, or is older than five minutes.",
        details={"reason": "bad, missing or stale X-Slack-Signature"},
    )


class UnknownUser(Exception):
    """The Slack user is no member of the organization (or may not change incidents)."""


async def acting_user(
    session: AsyncSession, slack: AsyncWebClient, slack_user_id: str, *, write: bool
) -> User:
    try:
        email = await client.email_of(slack, slack_user_id)
    except SlackError as exc:
        raise UnknownUser(f"IMAS could not look up your Slack profile ({exc.error}).") from None
    membership = await member_by_email(session, email or "")
    if membership is None:
        raise UnknownUser(
            "Your Slack e-mail is not the e-mail of a member of this IMAS organization; "
            "ask an IMAS admin to add you."
        )
    if write and not can_write_incidents(membership):
        raise UnknownUser("Your IMAS role cannot change incidents (a responder can).")
    session.info.update(actor_id=membership.user.id, actor_name=membership.user.username)
    return membership.user


def ephemeral(text: str) -> dict[str, Any]:
    return {"response_type": "ephemeral", "text": text}


async def _transition(session: AsyncSession, verb: str, ident: str, actor: User) -> str:
    incident = await repository.find_incident(session, ident)
    if incident is None:
        return f"No incident {ident} in this organization."
    try:
        async with session.begin_nested():
            if verb == "ack":
                done = await incidents.acknowledge(session, incident.id, actor)
            else:
                done = await incidents.resolve(session, incident.id, actor)
    except IMASError as exc:
        return exc.message
    return f"{done.short_id} is now {done.status}."


async def command(
    session: AsyncSession, settings: Settings, config: SlackConfig, form: dict[str, str]
) -> dict[str, Any]:
    """`/imas incident list|create|ack <id>|resolve <id>`: the answer Slack shows the user."""
    words = form.get("text", "").split()
    if words and words[0].lower() == "incident":
        words = words[1:]
    verb = words[0].lower() if words else ""
    if verb not in ("list", "create", "ack", "acknowledge", "resolve"):
        return ephemeral(blocks.HELP)
    slack = await client.client_for(config, settings)
    try:
        actor = await acting_user(session, slack, form.get("user_id", ""), write=verb != "list")
    except UnknownUser as exc:
        return ephemeral(str(exc))
    if verb == "list":
        return ephemeral(blocks.incident_list(await repository.open_incidents(session)))
    if verb == "create":
        view = blocks.create_modal(await repository.services(session), form.get("channel_id", ""))
        try:
            await client.call(slack, "views.open", trigger_id=form.get("trigger_id", ""), view=view)
        except SlackError as exc:
            return ephemeral(f"Slack did not open the form ({exc.error}); try again.")
        return {}
    if len(words) < 2:
        return ephemeral(f"Which incident? `/imas incident {verb} INC-XXXXXX`")
    return ephemeral(
        await _transition(session, "ack" if verb.startswith("ack") else "resolve", words[1], actor)
    )


async def _tell(slack: AsyncWebClient, channel: str, user: str, text: str) -> None:
    try:
        await client.call(slack, "chat.postEphemeral", channel=channel, user=user, text=text)
    except SlackError as exc:
        log.warning("slack_ephemeral_failed", error=exc.error)


async def interaction(
    session: AsyncSession, settings: Settings, config: SlackConfig, payload: dict[str, Any]
) -> dict[str, Any] | None:
    """A button (`block_actions`) or the create modal's submission (`view_submission`)."""
    slack = await client.client_for(config, settings)
    user_id = str((payload.get("user") or {}).get("id") or "")
    kind = payload.get("type")
    if kind == "block_actions":
        channel = str((payload.get("channel") or {}).get("id") or "")
        for action in payload.get("actions") or []:
            verb = {blocks.ACK_ACTION: "ack", blocks.RESOLVE_ACTION: "resolve"}.get(
                action.get("action_id")
            )
            if verb is None:
                continue
            try:
                actor = await acting_user(session, slack, user_id, write=True)
            except UnknownUser as exc:
                await _tell(slack, channel, user_id, str(exc))
                return None
            result = await _transition(session, verb, str(action.get("value", "")), actor)
            await _tell(slack, channel, user_id, result)
        return None
    if kind == "view_submission":
        view = payload.get("view") or {}
        if view.get("callback_id") != blocks.CREATE_CALLBACK:
            return None
        return await _create_from_modal(session, slack, user_id, view)
    return None


def _value(values: dict[str, Any], block: str) -> str | None:
    element = (values.get(block) or {}).get("value") or {}
    selected = element.get("selected_option")
    if selected:
        return str(selected.get("value"))
    value = element.get("value")
    return str(value) if value else None


_MODAL_BLOCKS = {"title": "title", "service": "service", "severity": "severity"}


async def _create_from_modal(
    session: AsyncSession, slack: AsyncWebClient, user_id: str, view: dict[str, Any]
) -> dict[str, Any] | None:
    try:
        actor = await acting_user(session, slack, user_id, write=True)
    except UnknownUser as exc:
        return {"response_action": "errors", "errors": {"title": str(exc)}}
    values = (view.get("state") or {}).get("values") or {}
    try:
        data = IncidentCreate(
            title=_value(values, "title") or "",
            service=uuid.UUID(_value(values, "service") or ""),
            severity=_value(values, "severity") or "SEV3_MEDIUM",
            description=_value(values, "description") or "",
        )
    except (ValidationError, ValueError) as exc:
        errors: dict[str, str] = {}
        for err in exc.errors() if isinstance(exc, ValidationError) else []:
            block = _MODAL_BLOCKS.get(str(err["loc"][0]) if err["loc"] else "", "title")
            errors.setdefault(block, str(err["msg"]))
        return {"response_action": "errors", "errors": errors or {"service": "choose a service"}}
    try:
        async with session.begin_nested():
            incident = await incidents.create_incident(session, actor, data)
    except IMASError as exc:
        return {"response_action": "errors", "errors": {"title": exc.message}}
    channel = str(view.get("private_metadata") or "")
    if channel:
        await _tell(slack, channel, user_id, f"{incident.short_id} created.")
    return None


async def event(
    session: AsyncSession, settings: Settings, config: SlackConfig, body: dict[str, Any]
) -> None:
    """`app_mention`: answered in the mention's thread - the incident it names, else the open
    incidents."""
    ev = body.get("event") or {}
    if ev.get("type") != "app_mention" or ev.get("bot_id"):
        return
    text = str(ev.get("text") or "")
    named = _SHORT_ID.search(text)
    if named:
        incident = await repository.find_incident(session, named.group(0))
        answer = blocks.headline(incident) if incident else f"No incident {named.group(0)}."
    else:
        answer = blocks.incident_list(await repository.open_incidents(session))
    slack = await client.client_for(config, settings)
    try:
        await client.call(
            slack,
            "chat.postMessage",
            channel=str(ev.get("channel") or ""),
            thread_ts=str(ev.get("thread_ts") or ev.get("ts") or ""),
            text=answer,
        )
    except SlackError as exc:
        log.warning("slack_mention_reply_failed", error=exc.error)
