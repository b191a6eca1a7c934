"""The organization's JIRA configuration, and what a JIRA webhook call does to an incident."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.db import utcnow
from imas.errors import NotFound, ValidationFailed
from imas.incidents import service as incidents
from imas.incidents.models import Status
from imas.integrations.common import ORIGIN, integration_actor, member_by_email
from imas.integrations.jira import mapping, repository
from imas.integrations.jira.exceptions import InvalidWebhookSecret
from imas.integrations.jira.models import JiraConfig
from imas.integrations.jira.schemas import JiraConfigIn, JiraWebhookResult
from imas.notify import crypto, destinations
from imas.orgs.models import User

SOURCE = "jira"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _not_configured() -> NotFound:
    return NotFound(
        "JIRA is not configured for this organization; PUT /api/v1/integrations/jira/ first.",
        details={"resource": "jira configuration"},
    )


async def get_config(session: AsyncSession) -> JiraConfig:
    found = await repository.config(session)
    if found is None:
        raise _not_configured()
    return found


async def put_config(
    session: AsyncSession, data: JiraConfigIn, settings: Settings
) -> tuple[JiraConfig, str | None, bool]:
    """The configuration after the change, its webhook secret when one was made now, and
    whether the configuration was created."""
    existing = await repository.config(session)
    if existing is None and not data.api_token:
        raise ValidationFailed.field("api_token", "this field is required")
    await destinations.check_field("server_url", data.server_url, settings.webhook_allow_private)
    now = utcnow()
    config = existing or JiraConfig(created_at=now)
    if data.api_token:
        config.secret_encrypted = crypto.encrypt(data.api_token, settings.secret_key)
    webhook_secret = None
    if existing is None or data.rotate_webhook_secret:
        webhook_secret = secrets.token_urlsafe(32)
        config.token_hash = hash_secret(webhook_secret)
    config.server_url = data.server_url
    config.user_email = data.user_email
    config.project_key = data.project_key
    config.issue_type = data.issue_type
    config.severities = [str(s) for s in data.severities]
    config.is_active = data.is_active
    config.updated_at = now
    session.add(config)
    await session.flush()
    repository.forget(session)
    return config, webhook_secret, existing is None


async def delete_config(session: AsyncSession) -> None:
    await session.delete(await get_config(session))
    await session.flush()
    repository.forget(session)


async def webhook_config(session: AsyncSession, secret: str | None) -> JiraConfig:
    """The configuration whose webhook secret this is; binds the session to its organization
    and marks what follows as coming from JIRA (so nothing is pushed back to it)."""
    config = await repository.config_by_secret_hash(session, hash_secret(secret or ""))
    if not secret or config is None:
        raise InvalidWebhookSecret(
            "Add the webhook secret IMAS gave when JIRA was configured: "
            "/api/v1/webhooks/jira/?secret=<secret>.",
            details={"reason": "missing or unknown secret"},
        )
    session.info["organization_id"] = config.organization_id
    session.info[ORIGIN] = SOURCE
    return config


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _new_status(payload: dict[str, Any]) -> tuple[str, str | None]:
    """The status the issue moved to, and its category: the changelog's status item; without a
    changelog, the issue's status. "" when the update changed no status (an edited summary)."""
    status = _obj(_obj(_obj(payload.get("issue")).get("fields")).get("status"))
    name = str(status.get("name") or "")
    category = _obj(status.get("statusCategory")).get("key")
    if "changelog" not in payload:
        return name, category
    items = _obj(payload.get("changelog")).get("items")
    moved = [
        str(item["toString"])
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict) and item.get("field") == "status" and item.get("toString")
    ]
    if not moved:
        return "", None
    if moved[-1].lower() != name.lower():
        category = None  # the issue's category is of another status
    return moved[-1], category


async def _actor(session: AsyncSession, payload: dict[str, Any]) -> User:
    user = _obj(payload.get("user"))
    membership = await member_by_email(session, _author_email(payload))
    if membership is not None:
        return membership.user
    who = user.get("displayName") or user.get("emailAddress")
    return integration_actor(f"JIRA ({who})" if who else "JIRA")


def _author_email(payload: dict[str, Any]) -> str:
    return str(_obj(payload.get("user")).get("emailAddress") or "").strip().lower()


async def apply_webhook(
    session: AsyncSession, config: JiraConfig, payload: dict[str, Any]
) -> JiraWebhookResult:
    """Move the incident of the issue as the JIRA status says (see `mapping`).

    No echo: a change IMAS made itself comes back as a webhook too, and is ignored - when its
    author is IMAS's own JIRA account, when it is the status IMAS last pushed (`pushed_status`,
    for JIRA sites that hide e-mails), and anyway when the incident is in that state already.
    Changes made here are marked as JIRA's (`webhook_config`), so none is pushed back."""
    key = str(_obj(payload.get("issue")).get("key") or "")
    name, category = _new_status(payload)
    result = JiraWebhookResult(
        status="ignored", jira_ticket_id=key or None, jira_status=name or None
    )
    event = str(payload.get("webhookEvent") or "jira:issue_updated")
    if event != "jira:issue_updated":
        result.reason = f"{event} is no issue update"
        return result
    if not key or not name:
        result.reason = "no status change in this issue update"
        return result
    link = await repository.lock_issue_by_key(session, key)
    if link is None:
        result.reason = f"no incident of this organization has the JIRA issue {key}"
        return result
    incident = await repository.lock_incident(session, link.incident_id)
    if incident is None:
        result.reason = "the incident was deleted"
        return result
    result.ticket_id, result.incident_id = incident.short_id, incident.id
    result.new_status, result.updated_at = incident.status, incident.updated_at
    by_imas = _author_email(payload) == config.user_email.lower()
    echo = link.pushed_status is not None and link.pushed_status.lower() == name.lower()
    link.jira_status = name
    link.pushed_status = None
    if by_imas or echo:
        result.reason = f"IMAS itself moved {key} to {name}"
        return result
    target = mapping.incident_status_for(name, category)
    if target is None:
        result.reason = f"the JIRA status {name!r} means no incident status"
        return result
    steps = mapping.steps(Status(incident.status), target)
    if not steps:
        result.reason = f"the incident is {incident.status} already"
        return result
    actor = await _actor(session, payload)
    note = f"JIRA {key} moved to {name}"
    for step in steps:
        if step == "resolve":
            incident = await incidents.resolve(session, incident.id, actor, resolution_note=note)
        elif step == "acknowledge":
            incident = await incidents.acknowledge(session, incident.id, actor, note)
        else:
            incident = await incidents.reopen(session, incident.id, actor, note)
    result.status, result.reason = "success", None
    result.new_status, result.updated_at = incident.status, incident.updated_at
    return result
