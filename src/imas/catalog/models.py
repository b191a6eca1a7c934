from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from imas.db import Base, OrgOwned, Timestamps, UUIDPk
from imas.orgs.models import User


class Criticality(StrEnum):
    TIER_1_CRITICAL = "TIER_1_CRITICAL"
    TIER_2_HIGH = "TIER_2_HIGH"
    TIER_3_MEDIUM = "TIER_3_MEDIUM"
    TIER_4_LOW = "TIER_4_LOW"


team_members = Table(
    "team_members",
    Base.metadata,
    Column("team_id", Uuid(), ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Team(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "teams"
    __audit__ = "team"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    slack_channel_id: Mapped[str | None] = mapped_column(String(50))
    on_call_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(  # its on-call comes from there
        ForeignKey("schedules.id", ondelete="SET NULL")
    )

    members: Mapped[list[User]] = relationship(secondary=team_members, lazy="raise")
    on_call_user: Mapped[User | None] = relationship(lazy="raise")


class Service(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "services"
    __audit__ = "service"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    criticality: Mapped[str] = mapped_column(String(20), default=Criticality.TIER_3_MEDIUM)
    runbook_url: Mapped[str | None] = mapped_column(String(500))
    owner_team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    escalation_policy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="SET NULL")
    )

    owner_team: Mapped[Team | None] = relationship(lazy="raise")


class ImpactScope(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "impact_scopes"
    __audit__ = "impact_scope"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")


class Tag(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "tags"
    __audit__ = "tag"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    name: Mapped[str] = mapped_column(String(50))
    color: Mapped[str] = mapped_column(String(7), default="#6c757d")


class Runbook(UUIDPk, OrgOwned, Timestamps, Base):
    __tablename__ = "runbooks"
    __audit__ = "runbook"

    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )

    service: Mapped[Service | None] = relationship(lazy="raise")
    steps: Mapped[list[RunbookStep]] = relationship(
        lazy="raise",
        order_by="RunbookStep.order",
        cascade="all, delete-orphan",
        back_populates="runbook",
    )


class RunbookStep(UUIDPk, OrgOwned, Base):
    __tablename__ = "runbook_steps"
    __audit__ = "runbook_step"
    __table_args__ = (UniqueConstraint("runbook_id", "order"),)

    runbook_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("runbooks.id", ondelete="CASCADE"), index=True
    )
    order: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    command: Mapped[str | None] = mapped_column(Text)
    expected_duration_minutes: Mapped[int | None]
    is_critical: Mapped[bool] = mapped_column(default=False)
    requires_confirmation: Mapped[bool] = mapped_column(default=False)

    runbook: Mapped[Runbook] = relationship(lazy="raise", back_populates="steps")
