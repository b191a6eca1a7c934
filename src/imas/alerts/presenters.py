"""Alert-domain rows -> API shapes."""

from __future__ import annotations

from typing import Any

from imas.alerts.matchers import Matcher
from imas.alerts.models import Alert, Integration, Silence
from imas.alerts.schemas import (
    AlertDetail,
    AlertRead,
    IntegrationRead,
    IntegrationWithKey,
    SilenceRead,
    SourceRead,
)
from imas.alerts.service.silences import state_of
from imas.alerts.sources.base import Source
from imas.catalog.schemas.common import ServiceRef, UserRef

WEBHOOKS = "/api/v1/webhooks"


def webhook_url(kind: str) -> str:
    return f"{WEBHOOKS}/{kind}/"


def integration(obj: Integration) -> IntegrationRead:
    return IntegrationRead(**_integration(obj))


def integration_with_key(obj: Integration, key: str) -> IntegrationWithKey:
    return IntegrationWithKey(**_integration(obj), key=key)


def _integration(obj: Integration) -> dict[str, Any]:
    return {
        "id": obj.id,
        "kind": obj.kind,
        "name": obj.name,
        "description": obj.description,
        "default_service": ServiceRef.model_validate(obj.default_service)
        if obj.default_service
        else None,
        "severity_mapping": obj.severity_mapping or {},
        "grouping_labels": obj.grouping_labels,
        "options": obj.options or {},
        "is_active": obj.is_active,
        "resolve_behaviour": obj.resolve_behaviour,
        "key_prefix": obj.key_prefix,
        "key_rotated_at": obj.key_rotated_at,
        "webhook_url": webhook_url(obj.kind),
        "created_at": obj.created_at,
        "updated_at": obj.updated_at,
    }


def source(cls: type[Source]) -> SourceRead:
    return SourceRead(
        kind=cls.kind,
        title=cls.title,
        webhook_url=webhook_url(cls.kind),
        severity_table=dict(cls.severity_table),
        options_schema=cls.Config.model_json_schema(),
    )


def alert(obj: Alert) -> AlertRead:
    return AlertRead.model_validate(obj)


def alert_detail(obj: Alert) -> AlertDetail:
    return AlertDetail.model_validate(obj)


def silence(obj: Silence) -> SilenceRead:
    return SilenceRead(
        id=obj.id,
        matchers=[Matcher.model_validate(m) for m in obj.matchers],
        starts_at=obj.starts_at,
        ends_at=obj.ends_at,
        comment=obj.comment,
        state=state_of(obj),
        created_by=UserRef.model_validate(obj.created_by) if obj.created_by else None,
        created_at=obj.created_at,
        updated_at=obj.updated_at,
    )
