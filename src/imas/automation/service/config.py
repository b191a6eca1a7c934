"""Executors and policies: what admins set up. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts.models import Integration
from imas.automation import repository
from imas.automation import secrets as sealed
from imas.automation.actions import registry
from imas.automation.models import Executor, Policy
from imas.automation.schemas import ExecutorUpdate, ExecutorWrite, PolicyWrite
from imas.catalog.models import Service
from imas.config import Settings
from imas.errors import Conflict, ValidationFailed

DEFAULT_BASE_URLS = {"azure": "https://management.azure.com"}


def _base_url(kind: str, given: str) -> str:
    url = given.strip() or DEFAULT_BASE_URLS.get(kind, "")
    if kind == "logic_app":  # its URL is the (secret) trigger URL, in the credentials
        return url
    if not url.startswith(("http://", "https://")):
        raise ValidationFailed.field("base_url", "an absolute http(s) URL is required")
    return url


async def _exists(session: AsyncSession, model: Any, ident: uuid.UUID | None, field: str) -> None:
    if ident is not None and await session.get(model, ident) is None:
        raise ValidationFailed.field(field, f"no such {field} in this organization")


async def _named_once(
    session: AsyncSession, executor: Executor, name: str, change: Callable[[], object]
) -> Executor:
    """Make `change` (add or edit the executor) and flush it in a savepoint: a name taken in
    this organization is a 409. The change is made inside the savepoint because
    `begin_nested()` first flushes what is pending *outside* it, where a unique violation
    would roll back the whole transaction (a 500)."""
    try:
        async with session.begin_nested():
            change()
            await session.flush()
    except IntegrityError:
        raise Conflict(
            f"An executor named '{name}' already exists.", details={"name": name}
        ) from None
    return executor


def _check_credentials(kind: str, credentials: dict[str, Any] | None) -> None:
    if kind == "logic_app" and not (credentials or {}).get("trigger_url"):
        raise ValidationFailed.field(
            "credentials", "a logic_app executor needs credentials.trigger_url (its HTTP trigger)"
        )


async def create_executor(
    session: AsyncSession, data: ExecutorWrite, settings: Settings
) -> Executor:
    await _exists(session, Service, data.service, "service")
    _check_credentials(data.kind, data.credentials)
    if await repository.executor_named(session, data.name) is not None:
        raise Conflict(
            f"An executor named '{data.name}' already exists.", details={"name": data.name}
        )
    executor = Executor(
        name=data.name,
        kind=data.kind,
        base_url=_base_url(data.kind, data.base_url),
        config=data.config,
        credentials_encrypted=sealed.seal_credentials(data.credentials or {}, settings.secret_key),
        service_id=data.service,
    )
    return await _named_once(session, executor, data.name, lambda: session.add(executor))


async def update_executor(
    session: AsyncSession, executor: Executor, data: ExecutorUpdate, settings: Settings
) -> Executor:
    given = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "service" in given:
        await _exists(session, Service, data.service, "service")
        changes["service_id"] = data.service
    if data.name is not None:
        changes["name"] = data.name
    if data.base_url is not None:
        changes["base_url"] = _base_url(executor.kind, data.base_url)
    if data.config is not None:
        changes["config"] = data.config
    if "credentials" in given:
        _check_credentials(executor.kind, data.credentials)
        changes["credentials_encrypted"] = sealed.seal_credentials(
            data.credentials or {}, settings.secret_key
        )
    name = changes.get("name", executor.name)

    def change() -> None:
        for field, value in changes.items():
            setattr(executor, field, value)

    return await _named_once(session, executor, name, change)


async def _check_policy(session: AsyncSession, data: PolicyWrite) -> None:
    await _exists(session, Integration, data.integration, "integration")
    await _exists(session, Service, data.service, "service")
    await _exists(session, Executor, data.executor, "executor")
    unknown = [a for a in data.actions if a not in registry.kinds()]
    if unknown:
        raise ValidationFailed.field(
            "actions",
            f"unknown action(s) {', '.join(unknown)}; known: {', '.join(registry.kinds())}",
        )
    if data.auto_remediate and data.integration is None and data.service is None:
        raise ValidationFailed.field(
            "auto_remediate", "name the integration or the service whose alerts it remediates"
        )


async def create_policy(session: AsyncSession, data: PolicyWrite) -> Policy:
    await _check_policy(session, data)
    policy = Policy()
    _apply(policy, data)
    session.add(policy)
    await session.flush()
    return policy


async def update_policy(session: AsyncSession, policy: Policy, data: PolicyWrite) -> Policy:
    await _check_policy(session, data)
    _apply(policy, data)
    await session.flush()
    return policy


def _apply(policy: Policy, data: PolicyWrite) -> None:
    policy.name = data.name
    policy.enabled = data.enabled
    policy.integration_id = data.integration
    policy.service_id = data.service
    policy.severities = [str(s) for s in data.severities]
    policy.actions = data.actions
    policy.auto_remediate = data.auto_remediate
    policy.executor_id = data.executor
    policy.max_retries = data.max_retries
    policy.require_approval = data.require_approval
