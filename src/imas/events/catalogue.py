"""The names of IMAS's events: the seeds' own, one list for every domain."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventType(StrEnum):
    # Incidents: seed 001's names (INCIDENT_CREATED-style).
    INCIDENT_CREATED = "INCIDENT_CREATED"
    INCIDENT_UPDATED = "INCIDENT_UPDATED"
    INCIDENT_ASSIGNED = "INCIDENT_ASSIGNED"
    INCIDENT_ACKNOWLEDGED = "INCIDENT_ACKNOWLEDGED"
    INCIDENT_MITIGATED = "INCIDENT_MITIGATED"
    INCIDENT_RESOLVED = "INCIDENT_RESOLVED"
    INCIDENT_REOPENED = "INCIDENT_REOPENED"
    INCIDENT_DELETED = "INCIDENT_DELETED"
    # Alerts (emitted by the alerts domain).
    ALERT_RECEIVED = "ALERT_RECEIVED"
    # Automated remediation (emitted by the automation domain, for runs of an incident).
    REMEDIATION_STARTED = "REMEDIATION_STARTED"
    REMEDIATION_SUCCEEDED = "REMEDIATION_SUCCEEDED"
    REMEDIATION_FAILED = "REMEDIATION_FAILED"
    # Data pipelines: seed 003's names (emitted by the pipelines domain).
    PIPELINE_EXECUTION_STARTED = "pipeline.execution.started"
    PIPELINE_EXECUTION_COMPLETED = "pipeline.execution.completed"
    PIPELINE_EXECUTION_FAILED = "pipeline.execution.failed"
    # CI/CD runs and deployments, alerts: seed 002's names (emitted by cicd and alerts).
    PIPELINE_STARTED = "pipeline.started"
    PIPELINE_COMPLETED = "pipeline.completed"
    PIPELINE_FAILED = "pipeline.failed"
    DEPLOYMENT_STARTED = "deployment.started"
    DEPLOYMENT_COMPLETED = "deployment.completed"
    ALERT_CREATED = "alert.created"
    ALERT_RESOLVED = "alert.resolved"


@dataclass(frozen=True)
class EventInfo:
    name: EventType
    domain: str
    description: str


CATALOGUE: tuple[EventInfo, ...] = (
    EventInfo(EventType.INCIDENT_CREATED, "incidents", "An incident was opened."),
    EventInfo(
        EventType.INCIDENT_UPDATED,
        "incidents",
        "Fields of an incident changed (title, description, severity, tags, links...); "
        "`data.changes` says which, from what to what.",
    ),
    EventInfo(
        EventType.INCIDENT_ASSIGNED,
        "incidents",
        "The lead, assigned team or assigned user of an incident changed.",
    ),
    EventInfo(
        EventType.INCIDENT_ACKNOWLEDGED,
        "incidents",
        "Someone took an incident on (also sent when an incident is mitigated straight from "
        "TRIGGERED, which acknowledges it).",
    ),
    EventInfo(EventType.INCIDENT_MITIGATED, "incidents", "The impact of an incident stopped."),
    EventInfo(EventType.INCIDENT_RESOLVED, "incidents", "An incident was resolved."),
    EventInfo(EventType.INCIDENT_REOPENED, "incidents", "A resolved incident was opened again."),
    EventInfo(EventType.INCIDENT_DELETED, "incidents", "An incident was deleted."),
    EventInfo(EventType.ALERT_RECEIVED, "alerts", "An alert from a monitoring source arrived."),
    EventInfo(
        EventType.REMEDIATION_STARTED,
        "automation",
        "An automated remediation of an incident started (its first attempt).",
    ),
    EventInfo(
        EventType.REMEDIATION_SUCCEEDED,
        "automation",
        "An automated remediation of an incident succeeded.",
    ),
    EventInfo(
        EventType.REMEDIATION_FAILED,
        "automation",
        "An automated remediation of an incident failed for good (every attempt failed, or "
        "it was cancelled); `data.remediation_status` says which.",
    ),
    EventInfo(
        EventType.PIPELINE_EXECUTION_STARTED,
        "pipelines",
        "A data pipeline's run started (its first attempt).",
    ),
    EventInfo(
        EventType.PIPELINE_EXECUTION_COMPLETED,
        "pipelines",
        "A data pipeline's run succeeded; `data.run.metrics` has the rows it moved.",
    ),
    EventInfo(
        EventType.PIPELINE_EXECUTION_FAILED,
        "pipelines",
        "A data pipeline's run failed for good (every attempt failed) or was stopped; "
        "`data.run.status` and `data.run.error` say which and why.",
    ),
    EventInfo(
        EventType.PIPELINE_STARTED,
        "cicd",
        "A CI/CD run (GitHub workflow run, GitLab pipeline) started; `data.pipeline` is the run.",
    ),
    EventInfo(
        EventType.PIPELINE_COMPLETED,
        "cicd",
        "A CI/CD run finished without failing (`data.pipeline.status`: success or cancelled).",
    ),
    EventInfo(EventType.PIPELINE_FAILED, "cicd", "A CI/CD run failed."),
    EventInfo(
        EventType.DEPLOYMENT_STARTED,
        "cicd",
        "A CI/CD run that deploys (per the repository's deployment settings) started; "
        "`data.deployment` names the service and environment.",
    ),
    EventInfo(
        EventType.DEPLOYMENT_COMPLETED,
        "cicd",
        "A deployment finished; `data.deployment.status` says whether it succeeded.",
    ),
    EventInfo(
        EventType.ALERT_CREATED,
        "alerts",
        "A new alert started firing (a repeat of a firing alert is not a new one).",
    ),
    EventInfo(
        EventType.ALERT_RESOLVED,
        "alerts",
        "A firing alert ended (its source resolved it, or a new firing replaced it).",
    ),
)
