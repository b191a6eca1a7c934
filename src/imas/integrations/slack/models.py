"""A Slack workspace connected to an organization, and the message each incident has there."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, OrgOwned, Timestamps, UUIDPk, utcnow

DEFAULT_API_BASE_URL = "https://slack.com/api/"
DEFAULT_WAR_ROOM_SEVERITIES = ("SEV1_CRITICAL", "SEV2_HIGH")


class SlackConfig(UUIDPk, OrgOwned, Timestamps, Base):
    """One per organization. The bot token and signing secret are stored together, encrypted
    (`secret_encrypted`: `imas.notify.crypto` of a JSON object; the audit trail redacts it); the
    workspace's `team_id` tells which organization an inbound
    request is for (so a workspace belongs to one organization)."""

    __tablename__ = "slack_configs"
    __table_args__ = (UniqueConstraint("organization_id"),)
    __audit__ = "slack_config"

    team_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    default_channel: Mapped[str] = mapped_column(String(100))
    war_room_severities: Mapped[list[str]] = mapped_column(default=list)
    api_base_url: Mapped[str] = mapped_column(String(500), default=DEFAULT_API_BASE_URL)
    is_active: Mapped[bool] = mapped_column(default=True)


class SlackMessage(UUIDPk, OrgOwned, Base):
    """The incident's message in the default channel: created (without `ts`) in the transaction
    that opened the incident, posted by a job, then updated in place on every later event."""

    __tablename__ = "slack_messages"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    channel: Mapped[str] = mapped_column(String(100))
    ts: Mapped[str | None] = mapped_column(String(40))
    war_room_channel: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
