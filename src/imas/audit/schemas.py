"""Response models of the audit trail API (seed 004's `user_name` and `details` kept)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ActorRef(BaseModel):
    id: uuid.UUID
    username: str


class AuditEventRead(BaseModel):
    id: uuid.UUID
    timestamp: datetime
    action: str = Field(description="`<object_type>.<verb>`, e.g. incident.acknowledged")
    user_name: str = Field(description="Who acted, as named then ('system' when nobody did)")
    actor: ActorRef | None = Field(description="The acting user; null for the system")
    object_type: str
    object_id: str
    incident_id: uuid.UUID | None = Field(description="The incident the object belongs to")
    request_id: str | None = Field(description="The X-Request-ID of the request that made it")
    before: dict[str, Any] | None = Field(description="Changed fields before (null on create)")
    after: dict[str, Any] | None = Field(description="Changed fields after (null on delete)")
    details: str = Field(description="A one-line summary of the change")
