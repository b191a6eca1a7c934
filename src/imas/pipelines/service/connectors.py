"""Connectors: validated against their type's models, credentials sealed, names unique per
organization; a connector in use by a pipeline cannot be deleted."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.errors import Conflict, ValidationFailed
from imas.orgs.models import User
from imas.pipelines import repository
from imas.pipelines import secrets as sealed
from imas.pipelines.connectors import registry
from imas.pipelines.connectors.base import Connector as Plugin
from imas.pipelines.connectors.base import ConnectorFailed, SchemaInfo
from imas.pipelines.exceptions import ConnectionFailed, ConnectorInUse
from imas.pipelines.models import Connector
from imas.pipelines.schemas import ConnectionTest, ConnectorCreate, ConnectorUpdate
from imas.repository import save_unique


def plugin_class(connector_type: str) -> type[Plugin]:
    cls = registry.find(connector_type)
    if cls is None:
        known = registry.kinds()
        raise ValidationFailed(
            f"connector_type: unknown connector type '{connector_type}'; known: "
            + ", ".join(known),
            details={
                "connector_type": [f"unknown connector type '{connector_type}'"],
                "allowed_values": known,
            },
        )
    return cls


def _validated(model: type[BaseModel], given: dict[str, Any], field: str) -> BaseModel:
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        raise ValidationFailed.under(field, exc.errors()) from None


async def _saved(session: AsyncSession, change: Callable[[], None], name: str) -> None:
    conflict = Conflict(f"A connector named '{name}' already exists.", details={"name": name})
    await save_unique(session, change, conflict)


async def create(
    session: AsyncSession, data: ConnectorCreate, actor: User, settings: Settings
) -> Connector:
    cls = plugin_class(data.connector_type)
    config = _validated(cls.Config, data.config, "config")
    _validated(cls.Credentials, data.credentials, "credentials")
    connector = Connector(
        name=data.name,
        description=data.description,
        connector_type=data.connector_type,
        is_active=data.is_active,
        config=config.model_dump(mode="json", exclude_unset=True, by_alias=True),
        credentials_encrypted=sealed.seal(data.credentials, settings),
        created_by_id=actor.id,
    )
    await _saved(session, lambda: session.add(connector), data.name)
    return connector


async def update(
    session: AsyncSession, connector: Connector, data: ConnectorUpdate, settings: Settings
) -> Connector:
    cls = plugin_class(connector.connector_type)
    given = data.model_dump(exclude_unset=True)
    if data.config is not None:
        config = _validated(cls.Config, data.config, "config")
        given["config"] = config.model_dump(mode="json", exclude_unset=True, by_alias=True)
    if data.credentials is not None:
        _validated(cls.Credentials, data.credentials, "credentials")
        given["credentials_encrypted"] = sealed.seal(given.pop("credentials"), settings)

    def change() -> None:
        for key, value in given.items():
            setattr(connector, key, value)

    await _saved(session, change, data.name or connector.name)
    return connector


async def delete(session: AsyncSession, connector: Connector) -> None:
    users = await repository.connector_in_use(session, connector.id)
    if users:
        raise ConnectorInUse(
            f"The connector is used by the pipeline(s) {', '.join(users)}: change their steps "
            "first.",
            details={"pipelines": users},
        )
    await session.delete(connector)
    await session.flush()


def plugin(connector: Connector, settings: Settings) -> Plugin:
    """The connector's type, ready to use (credentials decrypted). Raises ConnectorFailed when
    the stored configuration no longer fits the type, or the credentials cannot be read."""
    cls = plugin_class(connector.connector_type)
    try:
        return cls.create(connector.config, sealed.open_(connector.credentials_encrypted, settings))
    except ValidationError as exc:
        raise ConnectorFailed(
            f"the connector's settings are invalid: {exc.errors()[0]['msg']}"
        ) from None
    except sealed.CredentialsUnreadable as exc:
        raise ConnectorFailed(str(exc)) from None


async def test(connector: Connector, settings: Settings) -> ConnectionTest:
    """Connect for real; a failure is `success: false` with the driver's reason."""
    started = time.perf_counter()
    try:
        found = plugin(connector, settings)
        try:
            message = await found.test()
        finally:
            await found.close()
        success = True
    except ConnectorFailed as exc:
        message, success = str(exc), False
    elapsed = int((time.perf_counter() - started) * 1000)
    return ConnectionTest(success=success, message=message, response_time_ms=elapsed)


async def schema(connector: Connector, settings: Settings) -> SchemaInfo:
    try:
        found = plugin(connector, settings)
        try:
            return await found.schema()
        finally:
            await found.close()
    except ConnectorFailed as exc:
        raise ConnectionFailed(
            f"The connector's source could not be read: {exc}", details={"reason": str(exc)}
        ) from None


async def reseal_all(session: AsyncSession, settings: Settings) -> int:
    """Re-encrypt, under the current `IMAS_SECRET_KEY`, every connector's credentials still
    sealed under a previous key (of every organization); the number changed. After it, the
    previous keys can be dropped from `IMAS_PREVIOUS_SECRET_KEYS`."""
    found = await session.scalars(
        select(Connector)
        .where(Connector.credentials_encrypted.is_not(None))
        .execution_options(all_orgs=True)
    )
    changed = 0
    for connector in found:
        if sealed.needs_resealing(connector.credentials_encrypted, settings):
            plain = sealed.open_(connector.credentials_encrypted, settings)
            connector.credentials_encrypted = sealed.seal(plain, settings)
            changed += 1
    await session.flush()
    return changed
