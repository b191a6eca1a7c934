"""Integrations (where alerts come from), alerts (one row per firing episode) and silences."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from imas.db import Base, JSONType, OrgOwned, Timestamps, UUIDPk, utcnow

if TYPE_CHECKING:
    from imas.catalog.models import Service
    from imas.incidents.models import Incident
    from imas.orgs.models import User

DEFAULT_GROUPING_LABELS = ("service", "alertname")


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class ResolveBehaviour(StrEnum):
    """What happens to an incident once every one of its alerts is resolved."""

    MITIGATE = "mitigate"
    RESOLVE = "resolve"


class Integration(UUIDPk, OrgOwned, Timestamps, Base):
    """One monitoring tool posting to `/api/v1/webhooks/<kind>/` with its own key.

    Only the key's SHA-256 is stored (`token_hash`, a name the audit trail redacts); the key itself
    is shown once, when the integration is created or its key rotated.
    """

    __tablename__ = "integrations"
    __audit__ = "integration"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    default_service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    severity_mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    grouping_labels: Mapped[list[str]] = mapped_column(
        default=lambda: list(DEFAULT_GROUPING_LABELS)
    )
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_rotated_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    resolve_behaviour: Mapped[str] = mapped_column(String(10), default=ResolveBehaviour.MITIGATE)

    default_service: Mapped[Service | None] = relationship(lazy="raise")


class Alert(UUIDPk, OrgOwned, Timestamps, Base):
    """One firing episode of one alert of one integration: repeats count on it, a resolution
    ends it, and a new firing after that is a new row."""

    __tablename__ = "alerts"
    __table_args__ = (
        # At most one firing alert per fingerprint and integration: concurrent posts of the same
        # alert cannot create two (the loser re-reads the winner's row and counts on it).
        Index(
            "uq_alerts_open_fingerprint",
            "organization_id",
            "integration_id",
            "fingerprint",
            unique=True,
            postgresql_where=text("status = 'firing'"),
            sqlite_where=text("status = 'firing'"),
        ),
        Index("ix_alerts_integration_fingerprint", "integration_id", "fingerprint", "first_seen"),
        Index("ix_alerts_integration_group", "integration_id", "group_key", "incident_id"),
        Index("ix_alerts_incident_resolved", "incident_id", "is_resolved"),
        Index("ix_alerts_org_created", "organization_id", "created_at"),
        Index("ix_alerts_org_status_created", "organization_id", "status", "created_at"),
    )

    # NO ACTION rather than RESTRICT: checked at the end of the statement, so deleting an
    # organization (which cascades to both tables) is not refused halfway.
    integration_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("integrations.id"))
    source: Mapped[str] = mapped_column(String(30))
    fingerprint: Mapped[str] = mapped_column(String(255))
    group_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default=AlertStatus.FIRING)
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    annotations: Mapped[dict[str, Any]] = mapped_column(default=dict)
    severity: Mapped[str] = mapped_column(String(20))
    service_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("services.id", ondelete="SET NULL"), index=True
    )
    incident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL")
    )
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)
    occurrence_count: Mapped[int] = mapped_column(default=1)
    links: Mapped[list[str]] = mapped_column(default=list)
    raw_payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    silenced: Mapped[bool] = mapped_column(default=False)
    silence_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("silences.id", ondelete="SET NULL")
    )
    intake_note: Mapped[str | None] = mapped_column(Text)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    is_resolved: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    resolution_note: Mapped[str | None] = mapped_column(Text)

    integration: Mapped[Integration] = relationship(lazy="raise")
    service: Mapped[Service | None] = relationship(lazy="raise")
    incident: Mapped[Incident | None] = relationship(lazy="raise")
    acknowledged_by: Mapped[User | None] = relationship(
        foreign_keys=[acknowledged_by_id], lazy="raise"
    )
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id], lazy="raise")


class Silence(UUIDPk, OrgOwned, Timestamps, Base):
    """Label matchers and a time range: matching alerts are stored, marked silenced, and open no
    incident while it is active (a maintenance window is a silence with a future start)."""

    __tablename__ = "silences"
    __audit__ = "silence"
    __table_args__ = (Index("ix_silences_org_ends", "organization_id", "ends_at"),)

    matchers: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    created_by: Mapped[User | None] = relationship(lazy="raise")
