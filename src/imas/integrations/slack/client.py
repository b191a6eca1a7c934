"""The Slack Web API, through slack-sdk's AsyncWebClient, with the organization's bot token.

Every method IMAS calls goes through `call`, which turns slack-sdk's errors (an `ok: false`
answer, a network failure) into one `SlackError` carrying Slack's error code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from imas.config import Settings
from imas.integrations.slack.exceptions import SlackError
from imas.integrations.slack.models import SlackConfig
from imas.notify import crypto, destinations

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SlackSecrets:
    bot_token: str
    signing_secret: str


def seal(secrets: SlackSecrets, settings: Settings) -> str:
    raw = json.dumps({"bot_token": secrets.bot_token, "signing_secret": secrets.signing_secret})
    return crypto.encrypt(raw, settings.secret_key)


def secrets_of(config: SlackConfig, settings: Settings) -> SlackSecrets:
    """Raises `crypto.SecretUnreadable` when IMAS_SECRET_KEY changed since they were stored."""
    values = json.loads(crypto.decrypt(config.secret_encrypted, settings.secret_key))
    return SlackSecrets(values["bot_token"], values["signing_secret"])


def web_client(token: str, base_url: str) -> AsyncWebClient:
    if not base_url.endswith("/"):
        base_url += "/"
    return AsyncWebClient(token=token, base_url=base_url, timeout=TIMEOUT_SECONDS)


async def client_for(config: SlackConfig, settings: Settings) -> AsyncWebClient:
    """A client for the organization's Slack, once its API base URL passed the SSRF guard
    again (DNS may have changed since it was saved)."""
    try:
        token = secrets_of(config, settings).bot_token
    except crypto.SecretUnreadable as exc:
        raise SlackError("secret_unreadable: " + str(exc)) from None
    try:
        await destinations.check_before_call(config.api_base_url, settings.webhook_allow_private)
    except destinations.DestinationRefused as exc:
        raise SlackError("forbidden_destination: " + str(exc)) from None
    except destinations.DestinationUnresolvable as exc:
        raise SlackError("unreachable: " + str(exc)) from None
    return web_client(token, config.api_base_url)


async def call(client: AsyncWebClient, method: str, **kwargs: Any) -> dict[str, Any]:
    """`client.api_call`-style call of a method by its name (`chat.postMessage`)."""
    fn = getattr(client, method.replace(".", "_"))
    try:
        response = await fn(**kwargs)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        raise SlackError(str(error or "unknown_error"), method) from None
    except (SlackClientError, aiohttp.ClientError, TimeoutError, OSError) as exc:
        raise SlackError(f"unreachable ({type(exc).__name__}: {exc})", method) from None
    data: dict[str, Any] = dict(response.data) if isinstance(response.data, dict) else {}
    return data


async def email_of(client: AsyncWebClient, slack_user_id: str) -> str | None:
    """The e-mail of a Slack user (`users.info`; needs the `users:read.email` scope)."""
    data = await call(client, "users.info", user=slack_user_id)
    profile = (data.get("user") or {}).get("profile") or {}
    email = profile.get("email")
    return str(email) if email else None


async def user_id_by_email(client: AsyncWebClient, email: str) -> str:
    data = await call(client, "users.lookupByEmail", email=email)
    return str(data["user"]["id"])
