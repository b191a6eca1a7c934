from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from imas.db import Base, OrgOwned, Timestamps, UUIDPk, utcnow


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not tried yet
    SUCCESS = "success"  # a 2xx answer
    FAILED = "failed"  # the last attempt failed; another is due
    DEAD = "dead"  # given up: out of attempts, or refused (a private address)


class AttemptOutcome(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    REFUSED = "refused"


class WebhookSubscription(UUIDPk, OrgOwned, Timestamps, Base):
    """Where to send which events. The signing secret is stored encrypted (`notify.crypto`)."""

    __tablename__ = "webhook_subscriptions"
    __audit__ = "webhook_subscription"
    __table_args__ = (
        CheckConstraint("timeout_seconds BETWEEN 1 AND 60", name="timeout_range"),
        CheckConstraint("max_retries BETWEEN 0 AND 20", name="retries_range"),
    )

    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(default=list)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    timeout_seconds: Mapped[int] = mapped_column(default=30)
    max_retries: Mapped[int] = mapped_column(default=3)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)


class WebhookDelivery(UUIDPk, OrgOwned, Base):
    """One event for one subscription: its state now, and every attempt made (`attempt_log`)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_deliveries_subscription_created", "subscription_id", "created_at"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the envelope sent
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[uuid.UUID | None]
    response_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]

    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        lazy="raise",
        order_by="WebhookAttempt.started_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class WebhookAttempt(UUIDPk, OrgOwned, Base):
    """One HTTP request of a delivery (or the refusal to make it), as it went."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery_started", "delivery_id", "started_at"),)

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(20))
    response_code: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
