from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, OrgOwned, UUIDPk, utcnow


class AuditEvent(UUIDPk, OrgOwned, Base):
    """One change to one object, written in the transaction that made it."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_org_ts", "organization_id", "timestamp"),
        Index("ix_audit_events_incident", "incident_id"),
    )

    timestamp: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(150), default="system")
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[str] = mapped_column(String(64))
    incident_id: Mapped[uuid.UUID | None] = mapped_column()
    request_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    summary: Mapped[str] = mapped_column(Text, default="")
