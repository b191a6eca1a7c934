"""Response models of `/api/v1/metrics/system/` and `/api/v1/metrics/pipelines/{id}/` (seed 003's
"Métriques" shapes). How each figure is measured: `imas.pipelines.service.metrics`."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from imas.analytics.sql import Granularity

__all__ = [
    "Granularity",
    "MetricsPeriod",
    "PipelineFigures",
    "PipelineMetrics",
    "SystemMetrics",
    "TimelinePoint",
]


class MetricsPeriod(StrEnum):
    HOUR = "1h"
    DAY = "24h"
    WEEK = "7d"
    MONTH = "30d"


class SystemMetrics(BaseModel):
    active_pipelines: int = Field(description="Pipelines whose status is active")
    running_executions: int = Field(description="Pipeline runs running (or waiting mid-run)")
    queued_tasks: int = Field(description="Pipeline runs queued or waiting to retry")
    success_rate_24h: float = Field(
        description="Succeeded / (succeeded + failed) among the runs that finished in the last "
        "24 h; 0.0 when none did"
    )
    average_execution_time: int = Field(
        description="Mean seconds from start to finish of those runs (rounded); 0 when none"
    )
    total_data_processed_today: int = Field(
        description="Rows processed by the runs that finished since 00:00 UTC today"
    )


class PipelineFigures(BaseModel):
    total_executions: int = Field(description="Runs created in the period, whatever their state")
    successful_executions: int
    failed_executions: int
    success_rate: float = Field(
        description="successful / (successful + failed); 0.0 when no run has finished"
    )
    average_duration: float = Field(
        description="Mean seconds from start to finish of the finished (successful or failed) "
        "runs; 0.0 when none"
    )
    median_duration: float = Field(
        description="Their median (linear interpolation, like PostgreSQL's percentile_cont)"
    )
    p95_duration: float = Field(description="Their 95th percentile (linear interpolation)")
    total_rows_processed: int = Field(description="Rows processed by the period's runs")
    average_throughput: float = Field(
        description="Rows per second of the successful runs: their rows / their seconds"
    )


class TimelinePoint(BaseModel):
    timestamp: datetime = Field(description="The start of the bucket (UTC)")
    executions: int
    success_rate: float = Field(description="As in `metrics`; 0.0 for a bucket without a finish")
    avg_duration: float = Field(description="As `average_duration`; 0.0 without a finished run")


class PipelineMetrics(BaseModel):
    pipeline_id: uuid.UUID
    period: MetricsPeriod
    granularity: Granularity
    metrics: PipelineFigures
    timeline: list[TimelinePoint] = Field(
        description="Every bucket of the period, oldest first, empty ones included"
    )
