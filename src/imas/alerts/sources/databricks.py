"""Databricks job failures, in either of two shapes:

* a job's webhook notification (a notification destination of type *Webhook*, chosen for the
  job's or a task's *Failure*, *Success*, *Duration warning* or *Streaming backlog* events):
  `{"event_type": "jobs.on_failure", "workspace_id", "run": {"run_id"}, "job": {"job_id",
  "name"}}`, a task's adding `task.task_key` and `run.parent_run_id`. Databricks sends no error
  text: a sender of its own (a notebook's error handler, a Logic App that read the run) may add
  `error_message`, `cluster_id`, `cluster_name`, `run_page_url`, `service`, `severity`, `tags`.
  A failure fires the alert of its run (its task, for a task's notification); a success of the
  same run (a repair) resolves it.
* an Azure Monitor alert about Databricks (the seed's: a log search over the workspace's
  diagnostic logs, in the common alert schema), read as the azure-monitor source reads it, the
  job or the cluster of its rows naming the service.

https://docs.databricks.com/aws/en/jobs/notifications
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, RootModel

from imas.alerts.classification import Classification
from imas.alerts.models import AlertStatus
from imas.alerts.sources.azure_monitor import AzureMonitorAlert, AzureMonitorSource, Text
from imas.alerts.sources.base import AlertIn, bounded_fingerprint, links_of, text_map, title_of
from imas.alerts.sources.failures import ERROR_TEXT_MAX, Remedy, cut
from imas.incidents.models import Severity

EventType = Literal[
    "jobs.on_start",
    "jobs.on_success",
    "jobs.on_failure",
    "jobs.on_duration_warning_threshold_exceeded",
    "jobs.on_streaming_backlog_exceeded",
]
_DURATION = "jobs.on_duration_warning_threshold_exceeded"
_WARNINGS: dict[str, tuple[str, str]] = {
    # event -> (fingerprint suffix, what the title says)
    _DURATION: ("#duration", "is running longer than expected"),
    "jobs.on_streaming_backlog_exceeded": ("#backlog", "has a streaming backlog"),
}


class DatabricksRun(BaseModel):
    run_id: Text = Field(min_length=1)
    parent_run_id: Text | None = None
    run_name: str | None = None
    run_page_url: str | None = None
    state_message: str | None = None


class DatabricksJob(BaseModel):
    job_id: Text = Field(min_length=1)
    name: str | None = None


class DatabricksTask(BaseModel):
    task_key: str = Field(min_length=1)


class DatabricksJobEvent(BaseModel):
    event_type: EventType
    workspace_id: Text | None = None
    run: DatabricksRun
    job: DatabricksJob | None = None
    task: DatabricksTask | None = None
    # Not sent by Databricks itself; what a sender of its own may add:
    error_message: str | None = None
    cluster_id: str | None = None
    cluster_name: str | None = None
    run_page_url: str | None = None
    workspace_url: str | None = None
    service: str | None = None
    severity: str | None = None
    tags: dict[str, Text | None] = Field(default_factory=dict)


class DatabricksPayload(RootModel[DatabricksJobEvent | AzureMonitorAlert]):
    """A job's webhook notification, or an Azure Monitor alert about Databricks."""


class DatabricksSource(AzureMonitorSource):
    kind = "databricks"
    title = "Databricks"
    payload_model: ClassVar[type[BaseModel]] = DatabricksPayload
    severity_table = {
        **AzureMonitorSource.severity_table,
        "jobs.on_duration_warning_threshold_exceeded": Severity.SEV3_MEDIUM,
        "jobs.on_streaming_backlog_exceeded": Severity.SEV3_MEDIUM,
    }
    service_facts = ("job_name", "cluster_name", "pipeline")

    @classmethod
    def remedy(cls, labels: dict[str, str], found: Classification) -> Remedy | None:
        """A cluster that failed: restart it; a retryable job failure: repair the run (its
        failed tasks run again)."""
        if found.action == "restart_cluster" and labels.get("cluster_id"):
            return Remedy("databricks_restart_cluster", {"cluster_id": labels["cluster_id"]})
        run_id = labels.get("run_id", "")
        if found.action in ("retry_task", "retry_with_backoff") and run_id.isdigit():
            return Remedy("databricks_repair_run", {"run_id": int(run_id)})
        return super().remedy(labels, found)

    def parse(self, payload: Any) -> list[AlertIn]:
        if isinstance(payload, dict) and ("schemaId" in payload or "data" in payload):
            return super().parse(payload)
        event = self.validate(DatabricksJobEvent, payload)
        return self.from_event(event, payload)

    def from_event(self, event: DatabricksJobEvent, raw: dict[str, Any]) -> list[AlertIn]:
        """Nothing for a start; the resolution of the run's failure and duration warning for a
        success; else the failure's (or the warning's) alert."""
        job_run = event.run.parent_run_id or event.run.run_id
        base = f"{job_run}/{event.task.task_key}" if event.task else job_run
        if event.event_type == "jobs.on_start":
            return []
        if event.event_type == "jobs.on_success":
            return [
                AlertIn(
                    fingerprint=bounded_fingerprint(fingerprint),
                    status=AlertStatus.RESOLVED,
                    title=self.subject(event),
                    labels={"run_id": job_run},
                    update_only=True,
                    raw=raw,
                )
                for fingerprint in (base, base + _WARNINGS[_DURATION][0])
            ]
        labels = self.event_labels(event, job_run)
        annotations: dict[str, str] = {"event_type": event.event_type}
        error = event.error_message or event.run.state_message or ""
        if error:
            annotations["error_message"] = cut(error, ERROR_TEXT_MAX)
        if event.event_type in _WARNINGS:
            suffix, what = _WARNINGS[event.event_type]
            fingerprint = base + suffix
            title = f"{self.subject(event)} {what}"
            severity = self.severity(event.severity or event.event_type)
        else:
            fingerprint = base
            title = f"{self.subject(event)} failed"
            found = self.classified(error, labels, annotations)
            severity = self.severity_of(event.severity, found)
        return [
            AlertIn(
                fingerprint=bounded_fingerprint(fingerprint),
                status=AlertStatus.FIRING,
                title=title_of(title, fallback="Databricks job failed"),
                description=error,
                labels=labels,
                annotations=annotations,
                severity=severity,
                service_name=labels.get("service"),
                links=links_of(*self.event_links(event, job_run)),
                raw=raw,
            )
        ]

    def event_labels(self, event: DatabricksJobEvent, job_run: str) -> dict[str, str]:
        labels = text_map(event.tags)
        job = event.job
        for key, value in (
            ("job_id", job.job_id if job else None),
            ("job_name", job.name if job else None),
            ("run_id", job_run),
            ("task_key", event.task.task_key if event.task else None),
            ("task_run_id", event.run.run_id if event.task else None),
            ("workspace_id", event.workspace_id),
            ("cluster_id", event.cluster_id),
            ("cluster_name", event.cluster_name),
            ("event_type", event.event_type),
        ):
            if value:
                labels[key] = value
        labels["alertname"] = self.job_name(event)
        service = (
            event.service
            or labels.get(self.config.service_label)
            or (job.name if job else None)
            or event.cluster_name
        )
        if service:
            labels["service"] = service
        return labels

    @staticmethod
    def job_name(event: DatabricksJobEvent) -> str:
        if event.job is None:
            return f"run {event.run.parent_run_id or event.run.run_id}"
        return event.job.name or f"job {event.job.job_id}"

    def subject(self, event: DatabricksJobEvent) -> str:
        job = self.job_name(event)
        if event.task:
            return f"Databricks task {job}.{event.task.task_key}"
        return f"Databricks job {job}"

    @staticmethod
    def event_links(event: DatabricksJobEvent, job_run: str) -> list[str | None]:
        links: list[str | None] = [event.run.run_page_url, event.run_page_url]
        if event.workspace_url and event.job:
            workspace = event.workspace_url.rstrip("/")
            links.append(f"{workspace}/#job/{event.job.job_id}/run/{job_run}")
        return links
