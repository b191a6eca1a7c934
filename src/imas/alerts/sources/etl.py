"""Data pipeline runs (seed 003): IMAS's own pipelines report here when a run fails for good or
succeeds again, and any ETL tool can post the same body to `/api/v1/webhooks/etl/`.

One alert per pipeline (fingerprint `etl:<pipeline id>`): a failure fires it (repeats count on
it), the next success resolves it. Its labels carry what seed 003's alert view shows
(`alert_type`, `pipeline_run`, `error_code`, `retry_count`)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from imas.alerts.models import AlertStatus
from imas.alerts.sources.base import (
    IMAS_LEVELS,
    AlertIn,
    Source,
    bounded_fingerprint,
    real_time,
    title_of,
)
from imas.types import UtcDateTime


class PipelineInfo(BaseModel):
    id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)


class PipelineRunReport(BaseModel):
    pipeline: PipelineInfo
    run_id: str = Field(min_length=1, max_length=200)
    status: Literal["failed", "success"]
    error_code: str = Field(default="PIPELINE_EXECUTION_FAILED", max_length=100)
    message: str = Field(default="", max_length=20_000)
    severity: str | None = Field(default=None, max_length=50)
    service: str | None = Field(default=None, max_length=100)
    retry_count: int = Field(default=0, ge=0)
    occurred_at: UtcDateTime | None = None
    link: str | None = Field(default=None, max_length=2000)


class EtlSource(Source):
    kind = "etl"
    title = "Data pipelines"
    payload_model: ClassVar[type[BaseModel]] = PipelineRunReport
    severity_table = IMAS_LEVELS

    def parse(self, payload: Any) -> list[AlertIn]:
        report = self.validate(PipelineRunReport, payload)
        failed = report.status == "failed"
        labels = {
            "alertname": "PipelineRunFailed",
            "alert_type": "pipeline_failed",
            "pipeline": report.pipeline.name,
            "pipeline_id": report.pipeline.id,
            "pipeline_run": report.run_id,
            "error_code": report.error_code,
            "retry_count": str(report.retry_count),
        }
        if report.service:
            labels["service"] = report.service
        at = real_time(report.occurred_at)
        return [
            AlertIn(
                fingerprint=bounded_fingerprint(f"etl:{report.pipeline.id}"),
                status=AlertStatus.FIRING if failed else AlertStatus.RESOLVED,
                title=title_of(
                    f"Pipeline '{report.pipeline.name}' failed: {report.message}"
                    if report.message
                    else f"Pipeline '{report.pipeline.name}' failed",
                    fallback="Pipeline failed",
                ),
                description=report.message,
                labels=labels,
                annotations={"message": report.message[:2000]} if report.message else {},
                severity=self.severity(report.severity or "error"),
                service_name=report.service,
                starts_at=at if failed else None,
                ends_at=None if failed else at,
                links=[report.link] if report.link else [],
                raw=payload if isinstance(payload, dict) else {},
            )
        ]
