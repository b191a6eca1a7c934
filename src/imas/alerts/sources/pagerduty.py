"""A receiver compatible with PagerDuty's Events API v2 (`POST /v2/enqueue`): tools that can
page PagerDuty (Alertmanager's pagerduty_configs, Grafana, Datadog, scripts using PagerDuty's
clients) page IMAS instead. The integration key may come as the body's `routing_key`.

https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field, model_validator

from imas.alerts.models import AlertStatus
from imas.alerts.sources.base import (
    AlertIn,
    Source,
    bounded_fingerprint,
    links_of,
    one_or_many,
    real_time,
    stable_fingerprint,
    text_map,
    title_of,
)
from imas.incidents.models import Severity
from imas.types import UtcDateTime

if TYPE_CHECKING:
    from imas.alerts.schemas import ReceivedAlert


class PagerDutyPayload(BaseModel):
    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1, max_length=255)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: UtcDateTime | None = None
    component: str | None = None
    group: str | None = None
    class_: str | None = Field(default=None, alias="class")
    custom_details: dict[str, Any] | str | None = None


class PagerDutyLink(BaseModel):
    href: str
    text: str | None = None


class PagerDutyEvent(BaseModel):
    routing_key: str | None = None
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, max_length=255)
    payload: PagerDutyPayload | None = None
    client: str | None = None
    client_url: str | None = None
    links: list[PagerDutyLink] = Field(default_factory=list)
    images: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> PagerDutyEvent:
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("a trigger event needs a payload")
        if self.event_action != "trigger" and not self.dedup_key:
            raise ValueError(f"an {self.event_action} event needs the dedup_key of its trigger")
        return self


class PagerDutySource(Source):
    kind = "pagerduty"
    title = "PagerDuty Events API v2"
    accepts_list = True
    payload_model: ClassVar[type[BaseModel]] = PagerDutyEvent
    severity_table = {
        "critical": Severity.SEV1_CRITICAL,
        "error": Severity.SEV2_HIGH,
        "warning": Severity.SEV3_MEDIUM,
        "info": Severity.SEV4_LOW,
    }
    status_code = 202

    def parse(self, payload: Any) -> list[AlertIn]:
        events = one_or_many(self, payload)
        parsed = [self.validate(PagerDutyEvent, event) for event in events]
        return [self.normalize(event, raw) for event, raw in zip(parsed, events, strict=True)]

    def key_in_payload(self, payload: Any) -> str | None:
        first = payload[0] if isinstance(payload, list) and payload else payload
        key = first.get("routing_key") if isinstance(first, dict) else None
        return key if isinstance(key, str) and key else None

    def response_extra(
        self, alerts: list[AlertIn], received: list[ReceivedAlert]
    ) -> dict[str, Any]:
        """What PagerDuty answers (its clients read `dedup_key`)."""
        extra: dict[str, Any] = {"message": "Event processed"}
        if len(alerts) == 1:
            extra["dedup_key"] = alerts[0].fingerprint
        return extra

    def normalize(self, event: PagerDutyEvent, raw: dict[str, Any]) -> AlertIn:
        body = event.payload
        raw = {k: v for k, v in raw.items() if k != "routing_key"}  # the key is a credential
        if body is None:  # acknowledge / resolve: acts on the alert its dedup_key names
            assert event.dedup_key is not None
            return AlertIn(
                fingerprint=bounded_fingerprint(event.dedup_key),
                status=AlertStatus.RESOLVED
                if event.event_action == "resolve"
                else AlertStatus.FIRING,
                title=f"PagerDuty event {event.dedup_key}",
                acknowledged=event.event_action == "acknowledge",
                update_only=True,
                raw=raw,
            )
        details = body.custom_details
        annotations = text_map(details) if isinstance(details, dict) else {}
        if isinstance(details, str) and details:
            annotations["details"] = details
        labels = {
            key: value
            for key, value in (
                ("severity", body.severity),
                ("source", body.source),
                ("component", body.component),
                ("group", body.group),
                ("class", body.class_),
            )
            if value
        }
        title = title_of(body.summary, fallback="PagerDuty event")
        labels["alertname"] = body.class_ or title
        service = annotations.get(self.config.service_label)
        if service:
            labels["service"] = service
        identity = {k: labels.get(k) for k in ("source", "component", "group", "class", "service")}
        return AlertIn(
            fingerprint=bounded_fingerprint(event.dedup_key)
            if event.dedup_key
            else stable_fingerprint({**identity, "summary": body.summary}),
            status=AlertStatus.RESOLVED if event.event_action == "resolve" else AlertStatus.FIRING,
            title=title,
            description=annotations.get("description", ""),
            labels=labels,
            annotations=annotations,
            severity=self.severity(body.severity),
            service_name=service,
            starts_at=real_time(body.timestamp),
            links=links_of(event.client_url, *(link.href for link in event.links)),
            raw=raw,
            acknowledged=event.event_action == "acknowledge",
            update_only=event.event_action != "trigger",
        )
