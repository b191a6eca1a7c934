"""Impact scopes: what an incident endangers ("Data Loss Risk", "Customer Facing")."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from imas.catalog.schemas.common import Input, Name100
from imas.types import NotNull


class ImpactScopeCreate(Input):
    name: Name100 = Field(examples=["Data Loss Risk"])
    description: str = ""


class ImpactScopeUpdate(Input):
    """PATCH: only the fields sent change."""

    name: Annotated[Name100 | None, NotNull] = None
    description: Annotated[str | None, NotNull] = None

    @classmethod
    def replacing(cls, data: ImpactScopeCreate) -> ImpactScopeUpdate:
        return cls.model_validate(data.model_dump())


class ImpactScopeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str
