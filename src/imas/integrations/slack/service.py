"""The organization's Slack configuration: read, replace (secrets kept when omitted), remove."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.db import is_unique_violation, utcnow
from imas.errors import NotFound, ValidationFailed
from imas.integrations.slack import client, repository
from imas.integrations.slack.exceptions import SlackError, WorkspaceTaken
from imas.integrations.slack.models import SlackConfig
from imas.integrations.slack.schemas import SlackConfigIn
from imas.notify import crypto, destinations


def _not_configured() -> NotFound:
    return NotFound(
        "Slack is not configured for this organization; PUT /api/v1/integrations/slack/ first.",
        details={"resource": "slack configuration"},
    )


async def get_config(session: AsyncSession) -> SlackConfig:
    found = await repository.config(session)
    if found is None:
        raise _not_configured()
    return found


async def _team_of(bot_token: str, base_url: str) -> str:
    try:
        data = await client.call(client.web_client(bot_token, base_url), "auth.test")
    except SlackError as exc:
        raise ValidationFailed.field(
            "bot_token", f"Slack refused it ({exc.error}); check the token, or give team_id"
        ) from None
    return str(data.get("team_id") or "")


async def put_config(
    session: AsyncSession, data: SlackConfigIn, settings: Settings
) -> tuple[SlackConfig, bool]:
    """The configuration after the change, and whether it was created."""
    existing = await repository.config(session)
    old = None
    if existing is not None:
        try:
            old = client.secrets_of(existing, settings)
        except crypto.SecretUnreadable:
            old = None  # IMAS_SECRET_KEY changed: both secrets must be given again
    bot_token = data.bot_token or (old.bot_token if old else None)
    signing_secret = data.signing_secret or (old.signing_secret if old else None)
    if not bot_token:
        raise ValidationFailed.field("bot_token", "this field is required")
    if not signing_secret:
        raise ValidationFailed.field("signing_secret", "this field is required")
    await destinations.check_field(
        "api_base_url", data.api_base_url, settings.webhook_allow_private
    )
    team_id = data.team_id or await _team_of(bot_token, data.api_base_url)
    if not team_id:
        raise ValidationFailed.field("team_id", "this field is required")
    sealed = client.seal(client.SlackSecrets(bot_token, signing_secret), settings)
    now = utcnow()
    config = existing or SlackConfig(created_at=now)
    config.team_id = team_id
    config.secret_encrypted = sealed
    config.default_channel = data.default_channel
    config.war_room_severities = [str(s) for s in data.war_room_severities]
    config.api_base_url = data.api_base_url
    config.is_active = data.is_active
    config.updated_at = now
    try:
        async with session.begin_nested():
            session.add(config)
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise WorkspaceTaken(
            f"The Slack workspace {team_id} is connected to another IMAS organization.",
            details={"team_id": team_id},
        ) from None
    repository.forget(session)
    return config, existing is None


async def delete_config(session: AsyncSession) -> None:
    config = await get_config(session)
    await session.delete(config)
    await session.flush()
    repository.forget(session)
