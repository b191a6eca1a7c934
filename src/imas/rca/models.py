"""Every analysis of an incident, kept (the latest is the incident's `ai_analysis`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from imas.db import Base, OrgOwned, UUIDPk, utcnow


class IncidentAnalysis(UUIDPk, OrgOwned, Base):
    __tablename__ = "incident_analyses"
    __table_args__ = (Index("ix_incident_analyses_incident_created", "incident_id", "created_at"),)

    incident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    analyzer: Mapped[str] = mapped_column(String(20))
    """`builtin` or `llm` (the one whose answer this is)"""
    result: Mapped[dict[str, Any]] = mapped_column()
    """The seed's `analysis` object"""
    evidence: Mapped[list[str]] = mapped_column(default=list)
    """What the analyzer found, in words: why it concluded what it did"""
    fallback_reason: Mapped[str | None] = mapped_column(Text)
    """Why the LLM's answer was not used, when it was asked and failed"""
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
