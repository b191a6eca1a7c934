"""Request and response models of `/api/v1/integrations/jira/` and of the JIRA webhook."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from imas.incidents.models import Severity
from imas.integrations.jira.models import DEFAULT_SEVERITIES
from imas.integrations.urls import HttpUrl

WEBHOOK_PATH = "/api/v1/webhooks/jira/"


class JiraConfigIn(BaseModel):
    """PUT: the whole configuration. `api_token` is needed the first time; afterwards omitted
    keeps the stored one. The webhook secret is made by IMAS, shown in the answer that creates
    the configuration (or `rotate_webhook_secret`s it), and never again."""

    server_url: HttpUrl = Field(examples=["https://your-company.atlassian.net"])
    user_email: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")
    ] = Field(description="The JIRA account the API token belongs to")
    api_token: Annotated[
        str | None, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)
    ] = None
    project_key: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z][A-Z0-9_]{0,49}$")
    ] = Field(examples=["APAIOPS"])
    issue_type: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ] = "Task"
    severities: list[Severity] = Field(
        default_factory=lambda: [Severity(s) for s in DEFAULT_SEVERITIES],
        description="Incidents of these severities get a JIRA issue",
    )
    is_active: bool = True
    rotate_webhook_secret: bool = False


class JiraConfigRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    server_url: str
    user_email: str
    project_key: str
    issue_type: str
    severities: list[str]
    is_active: bool
    api_token_set: bool = Field(default=True, description="Secrets are never returned")
    webhook_path: str = Field(
        default=WEBHOOK_PATH + "?secret=<webhook secret>",
        description="Where JIRA's webhook (event: Issue Updated) must post",
    )
    created_at: datetime
    updated_at: datetime


class JiraConfigSaved(JiraConfigRead):
    webhook_secret: str | None = Field(
        default=None,
        description="Shown only when the configuration is created or the secret rotated: the "
        "JIRA webhook URL is `/api/v1/webhooks/jira/?secret=<this>`",
    )


class JiraWebhookResult(BaseModel):
    """Seed 004's answer (`status`, `ticket_id`, `new_status`, `updated_at`), and why nothing
    changed when nothing did."""

    status: Literal["success", "ignored"]
    ticket_id: str | None = Field(default=None, description="The incident's short id")
    incident_id: uuid.UUID | None = None
    jira_ticket_id: str | None = None
    jira_status: str | None = None
    new_status: str | None = Field(default=None, description="The incident's status now")
    updated_at: datetime | None = None
    reason: str | None = None
