"""IMAS's own format, for scripts and tools without a dedicated source (seed: "Webhook
Générique"): one alert object per post, or a JSON array of them."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

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

Scalar = str | int | float | bool | None


class GenericAlert(BaseModel):
    title: str = Field(min_length=1, max_length=2000)
    description: str = Field(default="", max_length=20_000)
    severity: str | None = Field(default=None, max_length=50)
    service: str | None = Field(default=None, max_length=100)
    source: str | None = Field(default=None, max_length=100)
    status: Literal["firing", "resolved"] = "firing"
    fingerprint: str | None = Field(default=None, max_length=1000)
    labels: dict[str, Scalar] = Field(default_factory=dict)
    annotations: dict[str, Scalar] = Field(default_factory=dict)
    links: list[str] = Field(default_factory=list, max_length=20)
    starts_at: UtcDateTime | None = None
    ends_at: UtcDateTime | None = None


class GenericSource(Source):
    kind = "generic"
    title = "Generic webhook"
    accepts_list = True
    payload_model: ClassVar[type[BaseModel]] = GenericAlert
    severity_table = {
        "critical": Severity.SEV1_CRITICAL,
        "high": Severity.SEV2_HIGH,
        "medium": Severity.SEV3_MEDIUM,
        "low": Severity.SEV4_LOW,
        "error": Severity.SEV2_HIGH,
        "warning": Severity.SEV3_MEDIUM,
        "info": Severity.SEV4_LOW,
    }

    def parse(self, payload: Any) -> list[AlertIn]:
        events = one_or_many(self, payload)
        parsed = [self.validate(GenericAlert, event) for event in events]
        return [self.normalize(alert, raw) for alert, raw in zip(parsed, events, strict=True)]

    def normalize(self, alert: GenericAlert, raw: dict[str, Any]) -> AlertIn:
        labels = text_map(alert.labels)
        if alert.source:
            labels.setdefault("source", alert.source)
        service = alert.service or labels.get(self.config.service_label)
        if service:
            labels.setdefault("service", service)
        title = title_of(alert.title, fallback="Alert")
        labels.setdefault("alertname", title)
        identity = {"title": alert.title, "service": service, "source": alert.source, **labels}
        resolved = alert.status == "resolved"
        return AlertIn(
            fingerprint=bounded_fingerprint(alert.fingerprint)
            if alert.fingerprint and alert.fingerprint.strip()
            else stable_fingerprint(identity),
            status=AlertStatus.RESOLVED if resolved else AlertStatus.FIRING,
            title=title,
            description=alert.description,
            labels=labels,
            annotations=text_map(alert.annotations),
            severity=self.severity(alert.severity or labels.get(self.config.severity_label)),
            service_name=service,
            starts_at=real_time(alert.starts_at),
            ends_at=real_time(alert.ends_at) if resolved else None,
            links=links_of(*alert.links),
            raw=raw,
        )
