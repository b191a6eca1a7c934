"""Datadog's webhooks integration: one event per post, in the payload template of the webhook.

The template below (the seed's fields plus `aggreg_key`, `alert_id`, `alert_scope`, `link`)
lets a recovery find its trigger; Datadog's default template (id, title, body, date, ...) works
too, its `id` then being the fingerprint.
https://docs.datadoghq.com/integrations/webhooks/
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, Field

from imas.alerts.models import AlertStatus
from imas.alerts.sources.base import (
    AlertIn,
    Source,
    bounded_fingerprint,
    epoch_time,
    links_of,
    one_or_many,
    title_of,
)
from imas.incidents.models import Severity


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_text)]

_RECOVERED = frozenset({"recovered", "resolved", "ok", "success"})
# $EVENT_TITLE starts with the transition ("[Triggered on {host:web-01}] High CPU"): the
# incident title is the monitor's own.
_TRANSITION_PREFIX = re.compile(
    r"^(\[P\d\]\s*)?\[(Triggered|Re-Triggered|Recovered|Warn|Re-Warn|Warn Recovered|No Data|"
    r"Re-No Data|Renotify)(\s+on\s+[^\]]*)?\]\s*",
    re.IGNORECASE,
)


class DatadogEvent(BaseModel):
    id: Text = Field(min_length=1)
    title: Text = Field(min_length=1)
    body: Text | None = None
    alert_status: Text | None = None
    alert_transition: Text | None = None
    alert_type: Text | None = None
    alert_metric: Text | None = None
    alert_priority: Text | None = None
    alert_id: Text | None = None
    alert_scope: Text | None = None
    aggreg_key: Text | None = None
    tags: Text | list[Text] | None = None
    hostname: Text | None = None
    last_updated: Text | None = None
    date: Text | None = None
    link: Text | None = None
    event_type: Text | None = None
    org: dict[str, Any] | None = None


def tags_to_labels(tags: str | list[str] | None) -> dict[str, str]:
    """`"service:web-app,env:production"` -> `{"service": "web-app", "env": "production"}`."""
    items = tags.split(",") if isinstance(tags, str) else (tags or [])
    labels: dict[str, str] = {}
    for item in items:
        key, _, value = item.strip().partition(":")
        if key.strip():
            labels.setdefault(key.strip(), value.strip())
    return labels


class DatadogSource(Source):
    kind = "datadog"
    title = "Datadog"
    accepts_list = True
    payload_model: ClassVar[type[BaseModel]] = DatadogEvent
    severity_table = {
        "error": Severity.SEV1_CRITICAL,
        "warning": Severity.SEV2_HIGH,
        "info": Severity.SEV4_LOW,
        "success": Severity.SEV4_LOW,
    }

    def parse(self, payload: Any) -> list[AlertIn]:
        events = one_or_many(self, payload)
        parsed = [self.validate(DatadogEvent, event) for event in events]
        return [self.normalize(event, raw) for event, raw in zip(parsed, events, strict=True)]

    def normalize(self, event: DatadogEvent, raw: dict[str, Any]) -> AlertIn:
        labels = tags_to_labels(event.tags)
        title = title_of(_TRANSITION_PREFIX.sub("", event.title), fallback=event.title)
        transition = (event.alert_transition or event.alert_status or "").strip().lower()
        resolved = (
            transition in _RECOVERED
            or (event.alert_type or "").lower() == "success"
            or event.title.lower().startswith("[recovered")
        )
        for key, value in (
            ("metric", event.alert_metric),
            ("host", event.hostname),
            ("monitor_id", event.alert_id),
            ("priority", event.alert_priority),
        ):
            if value:
                labels.setdefault(key, value)
        labels.setdefault("alertname", title)
        at = epoch_time(event.last_updated) or epoch_time(event.date)
        return AlertIn(
            fingerprint=self.fingerprint(event),
            status=AlertStatus.RESOLVED if resolved else AlertStatus.FIRING,
            title=title,
            description=event.body or "",
            labels=labels,
            annotations={"alert_status": event.alert_status} if event.alert_status else {},
            severity=self.severity(event.alert_type),
            service_name=labels.get(self.config.service_label) or None,
            starts_at=None if resolved else at,
            ends_at=at if resolved else None,
            links=links_of(event.link),
            raw=raw,
        )

    @staticmethod
    def fingerprint(event: DatadogEvent) -> str:
        """The aggregation key (shared by a trigger and its recovery), else the monitor and its
        scope, else the event's id."""
        if event.aggreg_key:
            return bounded_fingerprint(event.aggreg_key)
        if event.alert_id:
            return bounded_fingerprint(f"{event.alert_id}:{event.alert_scope or ''}")
        return bounded_fingerprint(event.id)
