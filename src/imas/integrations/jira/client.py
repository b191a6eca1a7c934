"""JIRA's REST API through the `jira` library, which is synchronous: each use runs in a worker
thread (`anyio.to_thread`) with a client of its own, closed after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
import requests
from jira import JIRA, JIRAError

from imas.config import Settings
from imas.integrations.jira.exceptions import JiraFailure
from imas.integrations.jira.models import JiraConfig
from imas.notify import crypto, destinations

T = TypeVar("T")
TIMEOUT_SECONDS = 10.0


def _connect(config: JiraConfig, token: str) -> JIRA:
    return JIRA(
        server=config.server_url.rstrip("/"),
        basic_auth=(config.user_email, token),
        max_retries=0,  # the job runner retries, with its backoff
        timeout=TIMEOUT_SECONDS,
    )


async def run(config: JiraConfig, settings: Settings, work: Callable[[JIRA], T]) -> T:
    """`work(jira)` in a thread; JIRA's refusals and network failures as `JiraFailure`."""
    try:
        token = crypto.decrypt(config.secret_encrypted, settings.secret_key)
    except crypto.SecretUnreadable as exc:
        raise JiraFailure(str(exc), status=400) from None
    try:  # the SSRF guard again: DNS may have changed since the server URL was saved
        await destinations.check_before_call(config.server_url, settings.webhook_allow_private)
    except destinations.DestinationRefused as exc:
        raise JiraFailure(str(exc), status=400) from None
    except destinations.DestinationUnresolvable as exc:
        raise JiraFailure(f"JIRA unreachable ({exc})") from None

    def call() -> T:
        jira = _connect(config, token)
        try:
            return work(jira)
        finally:
            jira.close()  # type: ignore[no-untyped-call]

    try:
        return await anyio.to_thread.run_sync(call)
    except JIRAError as exc:
        status = int(exc.status_code or 0)
        raise JiraFailure(f"JIRA answered {status}: {exc.text or ''}".strip(), status) from None
    except requests.RequestException as exc:
        raise JiraFailure(f"JIRA unreachable ({type(exc).__name__}: {exc})") from None


def create_issue(fields: dict[str, Any]) -> Callable[[JIRA], str]:
    def work(jira: JIRA) -> str:
        return str(jira.create_issue(fields=fields, prefetch=False).key)

    return work


def move_issue(
    key: str, wanted: tuple[str, ...], comment: str
) -> Callable[[JIRA], tuple[str, bool]]:
    """Transition the issue to the first of `wanted` its workflow allows and comment why;
    nothing when it is in one of them already (so a second run changes nothing). Returns its
    status after, and whether IMAS moved it."""
    names = [w.lower() for w in wanted]

    def work(jira: JIRA) -> tuple[str, bool]:
        current = str(jira.issue(key, fields="status").fields.status.name)
        if current.lower() in names:
            return current, False
        options: dict[str, tuple[str, str]] = {}
        for transition in jira.transitions(key):
            to = str((transition.get("to") or {}).get("name") or transition.get("name") or "")
            options.setdefault(to.lower(), (str(transition["id"]), to))
        for name in names:
            if name in options:
                transition_id, to = options[name]
                jira.transition_issue(key, transition_id)
                jira.add_comment(key, comment)
                return to, True
        jira.add_comment(key, f"{comment} (no workflow transition to {wanted[0]} from {current})")
        return current, False

    return work
