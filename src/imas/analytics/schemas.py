"""The answers of `/api/v1/metrics/`: seed 001's fields, and seed 004's summary fields."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from imas.incidents.schemas import NamedRef


class Period(StrEnum):
    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "90d"
    YEAR = "1y"

    @property
    def days(self) -> int:
        return {"7d": 7, "30d": 30, "90d": 90, "1y": 365}[self.value]


class Summary(BaseModel):
    period: Period
    total_incidents: int
    open_incidents: int = Field(description="Not resolved (triggered, acknowledged or mitigated)")
    resolved_incidents: int
    avg_mttd_seconds: int | None = Field(description="Detection to creation")
    avg_mtta_seconds: int | None = Field(description="Creation to acknowledgement")
    avg_mttr_seconds: int | None = Field(description="Creation to resolution")
    incidents_by_severity: dict[str, int]
    # Seed 004's summary (its tickets are IMAS's incidents):
    open: int = Field(description="Triggered, nobody on it yet")
    in_progress: int = Field(description="Acknowledged or mitigated")
    closed: int = Field(description="Resolved")
    total: int
    avg_mttr_minutes: float | None
    sla_met_percentage: float | None = Field(
        description="Of the incidents resolved, the share resolved within their SLA target"
    )


class TrendPoint(BaseModel):
    date: str = Field(description="The Monday (UTC) that starts the week", examples=["2026-01-05"])
    incidents: int
    mttr_avg: int | None = Field(description="Average MTTR (seconds) of the week's resolved")


class Trends(BaseModel):
    period: Period
    data: list[TrendPoint]


class ServiceFigures(BaseModel):
    service: NamedRef
    total_incidents: int
    open_incidents: int
    resolved_incidents: int
    avg_mtta_seconds: int | None
    avg_mttr_seconds: int | None
    incidents_by_severity: dict[str, int]
    sla_met_percentage: float | None


class ByService(BaseModel):
    period: Period
    results: list[ServiceFigures]
