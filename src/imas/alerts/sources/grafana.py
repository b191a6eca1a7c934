"""Grafana Alerting's webhook contact point: Alertmanager's shape plus Grafana's own fields.

https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field

from imas.alerts.sources.alertmanager import (
    AlertmanagerAlert,
    AlertmanagerSource,
    AlertmanagerWebhook,
)
from imas.incidents.models import Severity


class GrafanaAlert(AlertmanagerAlert):
    silenceURL: str | None = None
    dashboardURL: str | None = None
    panelURL: str | None = None
    values: dict[str, Any] | None = None
    valueString: str | None = None


class GrafanaWebhook(AlertmanagerWebhook):
    alerts: list[GrafanaAlert] = Field(min_length=1)  # type: ignore[assignment]
    orgId: int | None = None
    title: str | None = None
    state: str | None = None
    message: str | None = None


class GrafanaSource(AlertmanagerSource):
    kind = "grafana"
    title = "Grafana Alerting"
    payload_model: ClassVar[type[BaseModel]] = GrafanaWebhook
    webhook_model: ClassVar[type[AlertmanagerWebhook]] = GrafanaWebhook
    severity_table = {
        "critical": Severity.SEV1_CRITICAL,
        "high": Severity.SEV2_HIGH,
        "warning": Severity.SEV2_HIGH,
        "info": Severity.SEV4_LOW,
    }

    def extra_links(self, alert: AlertmanagerAlert) -> list[str | None]:
        if not isinstance(alert, GrafanaAlert):
            return []
        return [alert.dashboardURL, alert.panelURL, alert.silenceURL]
