"""Alert rules on custom metrics (seed 002's metrics): IMAS's own rule evaluator reports here when
a rule's series starts firing or recovers.

One alert per rule and series (fingerprint `telemetry:<rule id>:<hash of the labels>`): firing
opens it, recovery resolves it. Its labels are the series' tags plus the rule's labels, with
`alertname` (the rule's name) and `rule_id`, which the built-in integration groups by."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from imas.alerts.models import AlertStatus
from imas.alerts.sources.base import (
    AlertIn,
    Source,
    bounded_fingerprint,
    real_time,
    stable_fingerprint,
    title_of,
)
from imas.incidents.models import Severity
from imas.types import UtcDateTime


class RuleInfo(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)


class RuleReport(BaseModel):
    rule: RuleInfo
    status: Literal["firing", "resolved"]
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    severity: str | None = Field(default=None, max_length=50)
    service: str | None = Field(default=None, max_length=100)
    value: float | None = None
    condition: str = Field(default="", max_length=500)
    """The rule's condition as text (`avg(cpu_usage[5m]) > 90`)."""
    occurred_at: UtcDateTime | None = None


class TelemetrySource(Source):
    kind = "telemetry"
    title = "Metric alert rules"
    payload_model: ClassVar[type[BaseModel]] = RuleReport
    severity_table = {
        "critical": Severity.SEV1_CRITICAL,
        "error": Severity.SEV2_HIGH,
        "high": Severity.SEV2_HIGH,
        "warning": Severity.SEV3_MEDIUM,
        "medium": Severity.SEV3_MEDIUM,
        "info": Severity.SEV4_LOW,
        "low": Severity.SEV4_LOW,
    }

    def parse(self, payload: Any) -> list[AlertIn]:
        report = self.validate(RuleReport, payload)
        firing = report.status == "firing"
        labels = {**report.labels, "alertname": report.rule.name, "rule_id": report.rule.id}
        identity = {k: v for k, v in labels.items() if k != "alertname"}
        service = report.service or labels.get(self.config.service_label)
        summary = report.annotations.get("summary") or report.annotations.get("description")
        value = f" (value {report.value:g})" if report.value is not None else ""
        at = real_time(report.occurred_at)
        return [
            AlertIn(
                fingerprint=bounded_fingerprint(
                    f"telemetry:{report.rule.id}:{stable_fingerprint(identity)}"
                ),
                status=AlertStatus.FIRING if firing else AlertStatus.RESOLVED,
                title=title_of(summary, f"{report.rule.name}{value}", fallback="Metric alert"),
                description=report.annotations.get("description", report.condition),
                labels=labels,
                annotations={**report.annotations, "condition": report.condition},
                severity=self.severity(report.severity or "warning"),
                service_name=service,
                starts_at=at if firing else None,
                ends_at=None if firing else at,
                raw=payload if isinstance(payload, dict) else {},
            )
        ]
