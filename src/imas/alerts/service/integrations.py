"""Integrations: create, change, rotate the key, delete; and finding one by its key."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts import repository
from imas.alerts.models import Integration
from imas.alerts.schemas import IntegrationCreate, IntegrationUpdate
from imas.alerts.sources import registry
from imas.alerts.sources.base import Source
from imas.catalog import lookups
from imas.catalog.service.common import save_named
from imas.db import utcnow
from imas.errors import Conflict, ValidationFailed
from imas.repository import get_or_404

THING = "Integration"
KEY_PREFIX = "imas_"
_KEY_BYTES = 32


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(_KEY_BYTES)


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def set_key(integration: Integration) -> str:
    raw = new_key()
    integration.token_hash = hash_key(raw)
    integration.key_prefix = raw[: len(KEY_PREFIX) + 6]
    return raw


def source_of(integration: Integration) -> Source:
    """The integration's source, configured with its options and severity overrides."""
    return registry.configured(
        integration.kind, integration.options or {}, integration.severity_mapping or {}
    )


def _checked_options(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The options as the source's Config accepts them (400 per field otherwise)."""
    config = registry.check_kind(kind).Config
    try:
        config.model_validate({**options})
    except ValidationError as exc:
        details: dict[str, list[str]] = {}
        for err in exc.errors(include_input=False, include_url=False):
            where = ".".join(["options", *(str(p) for p in err["loc"])])
            details.setdefault(where, []).append(str(err["msg"]))
        message = "; ".join(f"{k}: {v[0]}" for k, v in details.items())
        raise ValidationFailed(message, details=details) from None
    return dict(options)


async def get_integration(session: AsyncSession, integration_id: uuid.UUID | str) -> Integration:
    return await get_or_404(
        session, Integration, integration_id, "integration", repository.INTEGRATION_LOAD
    )


async def create_integration(
    session: AsyncSession, data: IntegrationCreate
) -> tuple[Integration, str]:
    """A new integration and its key (returned this once; only its hash is kept)."""
    registry.check_kind(data.kind)
    default_service = (
        await lookups.service_ref(session, data.default_service, "default_service")
        if data.default_service
        else None
    )
    integration = Integration(
        kind=data.kind,
        name=data.name,
        description=data.description,
        default_service=default_service,
        severity_mapping={k.lower(): v.value for k, v in data.severity_mapping.items()},
        grouping_labels=list(dict.fromkeys(data.grouping_labels)),
        options=_checked_options(data.kind, data.options),
        is_active=data.is_active,
        resolve_behaviour=data.resolve_behaviour,
    )
    raw = set_key(integration)
    await save_named(session, integration, THING)
    return integration, raw


async def update_integration(
    session: AsyncSession, integration: Integration, data: IntegrationUpdate
) -> Integration:
    """Change the fields `data` sets (`integration` loaded with its default service)."""
    given = data.model_fields_set
    if "default_service" in given:
        integration.default_service = (
            await lookups.service_ref(session, data.default_service, "default_service")
            if data.default_service
            else None
        )
    if data.name is not None:
        integration.name = data.name
    if data.description is not None:
        integration.description = data.description
    if data.severity_mapping is not None:
        integration.severity_mapping = {
            k.lower(): v.value for k, v in data.severity_mapping.items()
        }
    if data.grouping_labels is not None:
        integration.grouping_labels = list(dict.fromkeys(data.grouping_labels))
    if data.options is not None:
        integration.options = _checked_options(integration.kind, data.options)
    if data.is_active is not None:
        integration.is_active = data.is_active
    if data.resolve_behaviour is not None:
        integration.resolve_behaviour = data.resolve_behaviour
    await save_named(session, integration, THING)
    return integration


async def rotate_key(session: AsyncSession, integration: Integration) -> str:
    """A new key; the old one stops working when this transaction commits."""
    raw = set_key(integration)
    integration.key_rotated_at = utcnow()
    await session.flush()
    return raw


async def delete_integration(session: AsyncSession, integration: Integration) -> None:
    """Refused (409) once it has alerts: they are the history of incidents. Disable it."""
    if await repository.has_alerts(session, integration.id):
        raise Conflict(
            f"Integration '{integration.name}' has received alerts, which incidents refer to; "
            "disable it (is_active: false) instead of deleting it.",
            error=f"{THING} in use",
            code="in_use",
        )
    await session.delete(integration)
    await session.flush()


async def by_key(session: AsyncSession, raw: str) -> Integration | None:
    return await repository.integration_by_key_hash(session, hash_key(raw))
