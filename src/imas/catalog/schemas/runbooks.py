"""Runbooks: ordered steps to follow when a service breaks."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from imas.catalog.schemas.common import Input, ServiceRef, Title200
from imas.types import NotNull

MAX_STEPS = 200
_STEPS = "The steps, in order; `order` defaults to the position (1-based) and must be unique"


class StepIn(Input):
    order: int | None = Field(default=None, ge=1, le=10_000, description="Defaults to position")
    title: Title200
    description: str = ""
    command: str | None = None
    expected_duration_minutes: int | None = Field(default=None, ge=0, le=10_080)
    is_critical: bool = False
    requires_confirmation: bool = False


class OrderedStep(StepIn):
    """A step with its final order (explicit, or its 1-based position in the list)."""

    order: int


def order_steps(steps: list[StepIn]) -> list[OrderedStep]:
    """Each step with its order settled, sorted by it; a repeated order is a 400 on `steps`."""
    ordered = [
        OrderedStep(**{**step.model_dump(), "order": step.order or position})
        for position, step in enumerate(steps, start=1)
    ]
    seen: set[int] = set()
    for step in ordered:
        if step.order in seen:
            raise PydanticCustomError(
                "duplicate_order",
                "order {order} is used by more than one step; each step needs its own order",
                {"order": step.order},
            )
        seen.add(step.order)
    return sorted(ordered, key=lambda s: s.order)


Steps = Annotated[list[StepIn], Field(max_length=MAX_STEPS, description=_STEPS)]


class RunbookCreate(Input):
    title: Title200 = Field(examples=["Redis Cluster Recovery"])
    description: str = ""
    service: uuid.UUID | None = Field(default=None, description="A service id, or null")
    steps: Steps = Field(default_factory=list)

    @field_validator("steps")
    @classmethod
    def _unique_orders(cls, steps: list[StepIn]) -> list[StepIn]:
        order_steps(steps)
        return steps


class RunbookUpdate(Input):
    """PATCH: only the fields sent change; `steps`, when sent, replaces every step."""

    title: Annotated[Title200 | None, NotNull] = None
    description: Annotated[str | None, NotNull] = None
    service: uuid.UUID | None = Field(default=None, description="A service id, or null")
    steps: Annotated[Steps | None, NotNull] = None

    @field_validator("steps")
    @classmethod
    def _unique_orders(cls, steps: list[StepIn]) -> list[StepIn]:
        order_steps(steps)
        return steps

    @classmethod
    def replacing(cls, data: RunbookCreate) -> RunbookUpdate:
        """PUT: every field is set, the omitted ones to their defaults."""
        return cls.model_validate(data.model_dump())


class StepRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order: int
    title: str
    description: str
    command: str | None
    expected_duration_minutes: int | None
    is_critical: bool
    requires_confirmation: bool


class RunbookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str
    service: ServiceRef | None
    steps: list[StepRead]
    created_at: datetime
    updated_at: datetime
