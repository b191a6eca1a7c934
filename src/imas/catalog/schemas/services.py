"""Services: what breaks, who owns it, how critical it is."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from imas.catalog.models import Criticality
from imas.catalog.schemas.common import Input, Name100, TeamRef, Url500
from imas.types import NotNull

_OWNER = "The owning team (an id of your organization), or null"
_POLICY = "The escalation policy paging for its incidents (an id), or null"


class ServiceCreate(Input):
    name: Name100 = Field(examples=["redis-prod"])
    owner_team: uuid.UUID | None = Field(default=None, description=_OWNER)
    criticality: Criticality = Criticality.TIER_3_MEDIUM
    runbook_url: Url500 = Field(default=None, examples=["https://wiki.example.com/redis"])
    description: str = ""
    escalation_policy: uuid.UUID | None = Field(default=None, description=_POLICY)


class ServiceUpdate(Input):
    """PATCH: only the fields sent change."""

    name: Annotated[Name100 | None, NotNull] = None
    owner_team: uuid.UUID | None = Field(default=None, description=_OWNER)
    criticality: Annotated[Criticality | None, NotNull] = None
    runbook_url: Url500 = None
    description: Annotated[str | None, NotNull] = None
    escalation_policy: uuid.UUID | None = Field(default=None, description=_POLICY)

    @classmethod
    def replacing(cls, data: ServiceCreate) -> ServiceUpdate:
        """PUT: every field is set, the omitted ones to their defaults."""
        return cls.model_validate(data.model_dump())


class ServiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    owner_team: TeamRef | None
    criticality: Criticality
    runbook_url: str | None
    description: str
    escalation_policy: uuid.UUID | None = Field(
        default=None, validation_alias=AliasChoices("escalation_policy_id", "escalation_policy")
    )
    created_at: datetime
    updated_at: datetime
