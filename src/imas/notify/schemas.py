"""Request and response models of `/api/v1/webhook-subscriptions/` (seed 001)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from imas.events import EventType
from imas.notify.models import AttemptOutcome, DeliveryStatus
from imas.notify.signing import RESERVED_HEADERS
from imas.types import NotNull

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$")
_NAMES = frozenset(e.value for e in EventType)
_KNOWN = ", ".join(EventType)


def _webhook_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError(
            "url", "must be an http(s) URL, e.g. https://your-system.com/webhooks/incidents"
        )
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number in 0..65535)
    except ValueError:
        raise PydanticCustomError("url", "has an invalid port") from None
    if any(c.isspace() for c in value):
        raise PydanticCustomError("url", "may not contain spaces")
    return value


def _event_name(value: Any) -> Any:
    if isinstance(value, str) and value not in _NAMES:
        raise PydanticCustomError(
            "unknown_event",
            "unknown event '{name}'; known events: {known}",
            {"name": value[:100], "known": _KNOWN},
        )
    return value


def _unique_events(values: list[EventType]) -> list[EventType]:
    return list(dict.fromkeys(values))


def _headers(values: dict[str, str]) -> dict[str, str]:
    for name, value in values.items():
        if not _HEADER_NAME.match(name):
            raise PydanticCustomError(
                "header", "'{name}' is not a valid header name", {"name": name[:100]}
            )
        if name.lower() in RESERVED_HEADERS:
            raise PydanticCustomError(
                "header", "'{name}' is set by IMAS itself and cannot be replaced", {"name": name}
            )
        if any(c in value for c in "\r\n\x00"):
            raise PydanticCustomError(
                "header", "the value of '{name}' has a line break", {"name": name}
            )
    return values


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(_webhook_url),
]
EventName = Annotated[EventType, BeforeValidator(_event_name)]
Events = Annotated[
    list[EventName],
    Field(min_length=1, max_length=100, description="Event names (see `/events/`)"),
    AfterValidator(_unique_events),
]
Headers = Annotated[
    dict[str, Annotated[str, Field(max_length=2000)]],
    Field(max_length=20, description="Sent with every delivery (e.g. an API key of yours)"),
    AfterValidator(_headers),
]
Timeout = Annotated[int, Field(ge=1, le=60, description="Seconds to wait for an answer (1..60)")]
Retries = Annotated[
    int, Field(ge=0, le=20, description="Attempts after the first before giving up (0..20)")
]


class SubscriptionCreate(BaseModel):
    name: Name = Field(examples=["ITSM Integration"])
    url: WebhookUrl = Field(examples=["https://your-system.com/webhooks/incidents"])
    events: Events = Field(examples=[["INCIDENT_CREATED", "INCIDENT_RESOLVED"]])
    headers: Headers = Field(default_factory=dict)
    timeout_seconds: Timeout = 30
    max_retries: Retries = 3
    is_active: bool = True


class SubscriptionUpdate(BaseModel):
    """PUT and PATCH: only the fields sent change (seed 001's PUT sends some of them)."""

    name: Annotated[Name | None, NotNull] = None
    url: Annotated[WebhookUrl | None, NotNull] = None
    events: Annotated[Events | None, NotNull] = None
    headers: Annotated[Headers | None, NotNull] = None
    timeout_seconds: Annotated[Timeout | None, NotNull] = None
    max_retries: Annotated[Retries | None, NotNull] = None
    is_active: Annotated[bool | None, NotNull] = None


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    url: str
    events: list[str]
    is_active: bool
    created_at: datetime
    updated_at: datetime
    headers: dict[str, str]
    timeout_seconds: int
    max_retries: int


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(
        description=(
            "Shown this once. Deliveries carry `X-Signature-256: sha256=<hex HMAC-SHA256 of the "
            "raw body keyed with this string>` (also as `X-Webhook-Signature` and, bare, "
            "`X-ETL-Signature`) and the Standard Webhooks headers `webhook-id`, "
            "`webhook-timestamp`, `webhook-signature` (keyed, per that specification, with the "
            "base64-decoded part after `whsec_`)."
        )
    )


class AttemptRead(BaseModel):
    number: int
    outcome: AttemptOutcome
    response_status: int | None
    response_body: str | None
    error_message: str | None
    duration_ms: int | None
    started_at: datetime


class DeliveryRead(BaseModel):
    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: DeliveryStatus
    attempts: int
    last_attempt_at: datetime | None
    next_retry_at: datetime | None
    response_status: int | None
    response_body: str | None
    error_message: str | None
    duration_ms: int | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]
    attempt_log: list[AttemptRead]


class SubscriptionStats(BaseModel):
    subscription_id: uuid.UUID
    total_deliveries: int
    successful_deliveries: int
    failed_deliveries: int = Field(description="Failed for now (to be retried) or dead")
    pending_deliveries: int
    dead_deliveries: int
    success_rate: float | None = Field(
        description="Successful / attempted (not pending) deliveries; null before any attempt"
    )
    average_response_time: int | None = Field(description="Milliseconds, over answered attempts")
    last_delivery_at: datetime | None
    events_by_type: dict[str, int]


class EventTypeRead(BaseModel):
    name: str
    domain: str
    description: str
