"""Prometheus Alertmanager's webhook receiver (payload version 4), groups of alerts per post.

https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from imas.alerts.models import AlertStatus
from imas.alerts.sources.base import (
    AlertIn,
    Source,
    bounded_fingerprint,
    links_of,
    real_time,
    stable_fingerprint,
    title_of,
)
from imas.incidents.models import Severity
from imas.types import UtcDateTime

Status = Literal["firing", "resolved"]


class AlertmanagerAlert(BaseModel):
    status: Status
    labels: dict[str, str] = Field(min_length=1)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: UtcDateTime | None = None
    endsAt: UtcDateTime | None = None
    generatorURL: str | None = None
    fingerprint: str | None = None


class AlertmanagerWebhook(BaseModel):
    version: str | None = None
    groupKey: str | None = None
    truncatedAlerts: int | None = None
    status: Status | None = None
    receiver: str | None = None
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str | None = None
    alerts: list[AlertmanagerAlert] = Field(min_length=1)


class AlertmanagerSource(Source):
    kind = "alertmanager"
    title = "Prometheus Alertmanager"
    payload_model: ClassVar[type[BaseModel]] = AlertmanagerWebhook
    webhook_model: ClassVar[type[AlertmanagerWebhook]] = AlertmanagerWebhook
    severity_table = {
        "critical": Severity.SEV1_CRITICAL,
        "warning": Severity.SEV2_HIGH,
        "info": Severity.SEV4_LOW,
    }

    def parse(self, payload: Any) -> list[AlertIn]:
        hook = self.validate(self.webhook_model, payload)
        envelope = {k: v for k, v in payload.items() if k != "alerts"}
        return [
            self.normalize(alert, {**envelope, "alerts": [raw]})
            for alert, raw in zip(hook.alerts, payload["alerts"], strict=True)
        ]

    def normalize(self, alert: AlertmanagerAlert, raw: dict[str, Any]) -> AlertIn:
        labels, notes = alert.labels, alert.annotations
        resolved = alert.status == "resolved"
        return AlertIn(
            fingerprint=bounded_fingerprint(alert.fingerprint)
            if alert.fingerprint and alert.fingerprint.strip()
            else stable_fingerprint(labels),
            status=AlertStatus.RESOLVED if resolved else AlertStatus.FIRING,
            title=title_of(
                notes.get("summary"),
                notes.get("title"),
                labels.get("alertname"),
                fallback=f"{self.title} alert",
            ),
            description=notes.get("description") or notes.get("message") or "",
            labels=dict(labels),
            annotations=dict(notes),
            severity=self.severity(labels.get(self.config.severity_label)),
            service_name=labels.get(self.config.service_label),
            starts_at=real_time(alert.startsAt),
            starts_at_is_episode=True,
            ends_at=real_time(alert.endsAt) if resolved else None,
            links=links_of(alert.generatorURL, notes.get("runbook_url"), *self.extra_links(alert)),
            raw=raw,
        )

    def extra_links(self, alert: AlertmanagerAlert) -> list[str | None]:
        return []
