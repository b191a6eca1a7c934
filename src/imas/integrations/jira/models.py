"""A JIRA project connected to an organization, and the issue each incident has there."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, OrgOwned, Timestamps, UUIDPk, utcnow

DEFAULT_SEVERITIES = ("SEV1_CRITICAL", "SEV2_HIGH")


class JiraConfig(UUIDPk, OrgOwned, Timestamps, Base):
    """One per organization. The API token is stored encrypted (`imas.notify.crypto`); of the
    inbound webhook's secret only its SHA-256 (`token_hash`, redacted by the audit trail), which
    also finds the organization of a webhook call."""

    __tablename__ = "jira_configs"
    __table_args__ = (UniqueConstraint("organization_id"),)
    __audit__ = "jira_config"

    server_url: Mapped[str] = mapped_column(String(500))
    user_email: Mapped[str] = mapped_column(String(254))
    secret_encrypted: Mapped[str] = mapped_column(Text)  # the API token
    project_key: Mapped[str] = mapped_column(String(50))
    issue_type: Mapped[str] = mapped_column(String(100), default="Task")
    severities: Mapped[list[str]] = mapped_column(default=list)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # the webhook secret's
    is_active: Mapped[bool] = mapped_column(default=True)


class JiraIssue(UUIDPk, OrgOwned, Base):
    """The incident's JIRA issue. `pushed_status` is the JIRA status IMAS itself last moved the
    issue to, so the webhook JIRA sends back for it is known as an echo."""

    __tablename__ = "jira_issues"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    issue_key: Mapped[str] = mapped_column(String(100), index=True)
    pushed_status: Mapped[str | None] = mapped_column(String(100))
    jira_status: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
