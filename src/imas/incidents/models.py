from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Double,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from imas.catalog.models import ImpactScope, Service, Tag, Team
from imas.db import Base, OrgOwned, UUIDPk, utcnow
from imas.orgs.models import User


class Severity(StrEnum):
    SEV1_CRITICAL = "SEV1_CRITICAL"
    SEV2_HIGH = "SEV2_HIGH"
    SEV3_MEDIUM = "SEV3_MEDIUM"
    SEV4_LOW = "SEV4_LOW"


class Status(StrEnum):
    TRIGGERED = "TRIGGERED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    MITIGATED = "MITIGATED"
    RESOLVED = "RESOLVED"


class TimelineType(StrEnum):
    STATUS_CHANGE = "STATUS_CHANGE"
    SEVERITY_CHANGE = "SEVERITY_CHANGE"
    ASSIGNMENT = "ASSIGNMENT"
    FIELD_CHANGE = "FIELD_CHANGE"
    COMMENT = "COMMENT"
    TAG_ADDED = "TAG_ADDED"
    TAG_REMOVED = "TAG_REMOVED"
    ALERT_ATTACHED = "ALERT_ATTACHED"
    ESCALATION = "ESCALATION"  # a level of an escalation policy paged, or the policy stopped
    NOTIFICATION_SENT = "NOTIFICATION_SENT"
    NOTIFICATION_FAILED = "NOTIFICATION_FAILED"
    ANALYSIS = "ANALYSIS"  # a root-cause analysis was made (imas.rca)
    REMEDIATION = "REMEDIATION"  # an automated action ran on the incident (imas.automation)
    CHANGE = "CHANGE"  # a deployment, CI run or push of the service shortly before (imas.cicd)


incident_tags = Table(
    "incident_tags",
    Base.metadata,
    Column("incident_id", Uuid(), ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Uuid(), ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_incident_tags_tag", "tag_id"),
)

incident_impact_scopes = Table(
    "incident_impact_scopes",
    Base.metadata,
    Column("incident_id", Uuid(), ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "impact_scope_id",
        Uuid(),
        ForeignKey("impact_scopes.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


class Incident(UUIDPk, OrgOwned, Base):
    __tablename__ = "incidents"
    __audit__ = "incident"
    __table_args__ = (
        # At most one open incident per service and title: a duplicate check races can't beat.
        Index(
            "uq_incidents_open_title",
            "organization_id",
            "service_id",
            "title",
            unique=True,
            postgresql_where=text("status <> 'RESOLVED'"),
            sqlite_where=text("status <> 'RESOLVED'"),
        ),
        # The list's filters, each with the default ordering behind it, so a page and its count
        # read an index rather than the table (see bench/incident_latency.py).
        Index("ix_incidents_org_created", "organization_id", "created_at"),
        Index("ix_incidents_org_status_created", "organization_id", "status", "created_at"),
        # The list's status and severity filters, and the metrics' summary: grouped by status
        # and severity in this order, its figures come from this index alone.
        Index(
            "ix_incidents_org_status_severity_durations",
            "organization_id",
            "status",
            "severity",
            "created_at",
            "seconds_to_detect",
            "seconds_to_acknowledge",
            "seconds_to_resolve",
        ),
        Index("ix_incidents_org_service_created", "organization_id", "service_id", "created_at"),
        Index("ix_incidents_org_team_created", "organization_id", "assigned_team_id", "created_at"),
    )

    short_id: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(20), default=Severity.SEV3_MEDIUM)
    status: Mapped[str] = mapped_column(String(20), default=Status.TRIGGERED)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id", ondelete="RESTRICT"))
    lead_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL")
    )
    assigned_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    affected_systems: Mapped[list[str]] = mapped_column(default=list)
    source_query: Mapped[str | None] = mapped_column(Text)
    war_room_link: Mapped[str | None] = mapped_column(String(500))
    lid_link: Mapped[str | None] = mapped_column(String(500))
    itsm_ticket_id: Mapped[str | None] = mapped_column(String(100))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    remediation_status: Mapped[str | None] = mapped_column(String(30), index=True)
    """Of its latest automated remediation (`imas.automation.models.RemediationStatus`)"""
    remediation_attempts: Mapped[int] = mapped_column(default=0)

    detected_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    mitigated_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # MTTD, MTTA and MTTR of this incident, kept from the timestamps above on every write (see
    # `_store_durations`) so the metrics add up numbers instead of subtracting dates.
    seconds_to_detect: Mapped[float | None] = mapped_column(Double)
    """created_at - detected_at"""
    seconds_to_acknowledge: Mapped[float | None] = mapped_column(Double)
    """acknowledged_at - created_at"""
    seconds_to_resolve: Mapped[float | None] = mapped_column(Double)
    """resolved_at - created_at"""

    service: Mapped[Service] = relationship(lazy="raise")
    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id], lazy="raise")
    assigned_team: Mapped[Team | None] = relationship(lazy="raise")
    assigned_user: Mapped[User | None] = relationship(foreign_keys=[assigned_user_id], lazy="raise")
    acknowledged_by: Mapped[User | None] = relationship(
        foreign_keys=[acknowledged_by_id], lazy="raise"
    )
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id], lazy="raise")
    # passive_deletes: deleting an incident leaves its link rows to ON DELETE CASCADE.
    tags: Mapped[list[Tag]] = relationship(
        secondary=incident_tags, lazy="raise", passive_deletes=True
    )
    impacted_scopes: Mapped[list[ImpactScope]] = relationship(
        secondary=incident_impact_scopes, lazy="raise", passive_deletes=True
    )
    timeline: Mapped[list[TimelineEntry]] = relationship(
        lazy="raise",
        order_by="TimelineEntry.timestamp",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


DURATIONS = {
    "seconds_to_detect": ("detected_at", "created_at"),
    "seconds_to_acknowledge": ("created_at", "acknowledged_at"),
    "seconds_to_resolve": ("created_at", "resolved_at"),
}
_TIMESTAMPS = frozenset(name for pair in DURATIONS.values() for name in pair)


@event.listens_for(Incident, "before_insert")
@event.listens_for(Incident, "before_update")
def _store_durations(mapper: Mapper[Incident], connection: Connection, incident: Incident) -> None:
    """Every ORM write of an incident keeps its durations; a Core insert or update of these
    timestamps must set them itself (as `bench/dashboard.py` does)."""
    state = inspect(incident)
    if state.persistent and not any(
        state.attrs[name].history.has_changes() for name in _TIMESTAMPS
    ):
        return
    if state.dict.get("created_at") is None:  # not given: the column's default, now
        incident.created_at = utcnow()
    for column, (start, end) in DURATIONS.items():
        begin, finish = getattr(incident, start), getattr(incident, end)
        seconds = None if begin is None or finish is None else (finish - begin).total_seconds()
        if getattr(incident, column) != seconds:
            setattr(incident, column, seconds)


class TimelineEntry(UUIDPk, OrgOwned, Base):
    __tablename__ = "incident_timeline"
    __table_args__ = (Index("ix_incident_timeline_incident_ts", "incident_id", "timestamp"),)

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    timestamp: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="raise")


class Comment(UUIDPk, OrgOwned, Base):
    __tablename__ = "incident_comments"
    __audit__ = "comment"
    __table_args__ = (Index("ix_incident_comments_incident_created", "incident_id", "created_at"),)

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    content: Mapped[str] = mapped_column(Text)
    comment_type: Mapped[str] = mapped_column(String(20), default="update")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(lazy="raise")


class SlaPolicy(UUIDPk, OrgOwned, Base):
    """Targets per severity: acknowledge within `ack_seconds`, resolve within `resolve_seconds`."""

    __tablename__ = "sla_policies"
    __audit__ = "sla_policy"
    __table_args__ = (UniqueConstraint("organization_id", "severity"),)

    severity: Mapped[str] = mapped_column(String(20))
    ack_seconds: Mapped[int]
    resolve_seconds: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
