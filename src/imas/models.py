"""Every table of IMAS, imported in one place for Alembic and the model/migration check."""

from imas.alerts.models import Alert, Integration, Silence
from imas.audit import recorder  # noqa: F401  (registers the audit hook on every session)
from imas.audit.models import AuditEvent
from imas.auth.github import models as github_models  # noqa: F401
from imas.auth.models import ApiToken, AuthSession
from imas.automation.models import Executor, Policy, Run, RunLog, RunTask
from imas.catalog.models import ImpactScope, Runbook, RunbookStep, Service, Tag, Team
from imas.cicd import models as cicd_models  # noqa: F401
from imas.db import Base
from imas.incidents.models import Comment, Incident, SlaPolicy, TimelineEntry
from imas.integrations.jira.models import JiraConfig, JiraIssue
from imas.integrations.slack.models import SlackConfig, SlackMessage
from imas.jobs.models import Job
from imas.kubernetes import models as kubernetes_models  # noqa: F401
from imas.notify.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from imas.oncall.models import (  # noqa: F401  (on-call tables)
    ContactMethod,
    Escalation,
    EscalationPolicy,
    NotificationRule,
    Schedule,
    ScheduleLayer,
    ScheduleOverride,
)
from imas.orgs.models import Membership, Organization, User
from imas.pipelines.models import Connector, Pipeline, PipelineStep
from imas.rca.models import IncidentAnalysis
from imas.telemetry import models as telemetry_models  # noqa: F401

metadata = Base.metadata

__all__ = [
    "Alert",
    "ApiToken",
    "AuditEvent",
    "AuthSession",
    "Comment",
    "Connector",
    "Executor",
    "ImpactScope",
    "Incident",
    "IncidentAnalysis",
    "Integration",
    "JiraConfig",
    "JiraIssue",
    "Job",
    "Membership",
    "Organization",
    "Pipeline",
    "PipelineStep",
    "Policy",
    "Run",
    "RunLog",
    "RunTask",
    "Runbook",
    "RunbookStep",
    "Service",
    "Silence",
    "SlaPolicy",
    "SlackConfig",
    "SlackMessage",
    "Tag",
    "Team",
    "TimelineEntry",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "metadata",
]
