"""On-call tables: schedules with their layers and overrides, escalation policies and the
escalations under way, and each person's contact methods and notification rules."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from imas.db import Base, JSONType, OrgOwned, Timestamps, UUIDPk, utcnow


class RotationType(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    CUSTOM = "custom"


class ShiftUnit(StrEnum):
    HOURS = "hours"
    DAYS = "days"


class EscalationStatus(StrEnum):
    ACTIVE = "active"
    STOPPED = "stopped"  # the incident was acknowledged, mitigated, resolved or deleted
    EXHAUSTED = "exhausted"  # every level of every round has been paged


class ChannelKind(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    SLACK = "slack"


class Schedule(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "schedules"
    __audit__ = "schedule"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    time_zone: Mapped[str] = mapped_column(String(64))

    layers: Mapped[list[ScheduleLayer]] = relationship(
        lazy="raise",
        order_by="ScheduleLayer.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ScheduleLayer(UUIDPk, OrgOwned, Base):
    """One rotation; a higher `position` wins where it has someone on call."""

    __tablename__ = "schedule_layers"
    __table_args__ = (UniqueConstraint("schedule_id", "position"),)

    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(100), default="")
    rotation_type: Mapped[str] = mapped_column(String(10))
    shift_length: Mapped[int]
    shift_unit: Mapped[str] = mapped_column(String(10))
    start_date: Mapped[date] = mapped_column(Date)
    handoff_time: Mapped[time] = mapped_column(Time)
    participants: Mapped[list[str]] = mapped_column(default=list)  # user ids, in turn order


class ScheduleOverride(UUIDPk, OrgOwned, Base):
    __tablename__ = "schedule_overrides"
    __audit__ = "schedule_override"
    __table_args__ = (Index("ix_schedule_overrides_schedule_ends", "schedule_id", "ends_at"),)

    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schedules.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EscalationPolicy(UUIDPk, OrgOwned, Timestamps, Base):
    """`levels`: [{"delay_minutes": int, "targets": [{"type": "user"|"schedule"|"channel",
    ...}]}], in order; the whole list is paged `1 + repeat` times."""

    __tablename__ = "escalation_policies"
    __audit__ = "escalation_policy"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    repeat: Mapped[int] = mapped_column(default=0)
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class Escalation(UUIDPk, OrgOwned, Timestamps, Base):
    """A policy under way for one incident, with the policy as it was when it started."""

    __tablename__ = "escalations"

    incident_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    policy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="SET NULL")
    )
    policy_name: Mapped[str] = mapped_column(String(100))
    repeat: Mapped[int]
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20), default=EscalationStatus.ACTIVE)
    steps_done: Mapped[int] = mapped_column(default=0)  # levels paged so far, all rounds
    stop_reason: Mapped[str | None] = mapped_column(Text)


class ContactMethod(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "contact_methods"
    __audit__ = "contact_method"
    __table_args__ = (UniqueConstraint("organization_id", "user_id", "kind", "target"),)

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    target: Mapped[str] = mapped_column(String(500))
    label: Mapped[str] = mapped_column(String(100), default="")


class NotificationRule(UUIDPk, OrgOwned, Timestamps, Base):
    """Page `contact_method` `delay_minutes` after the user is paged, for incidents of
    `severities` (empty: every severity)."""

    __tablename__ = "notification_rules"
    __audit__ = "notification_rule"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    contact_method_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contact_methods.id", ondelete="CASCADE"), index=True
    )
    severities: Mapped[list[str]] = mapped_column(default=list)
    delay_minutes: Mapped[int] = mapped_column(default=0)
