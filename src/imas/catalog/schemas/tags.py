"""Tags: labels on incidents, each with a display color."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from imas.catalog.schemas.common import Input, Name50
from imas.types import NotNull

_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_COLOR = "#6c757d"


def _hex_color(value: str) -> str:
    if not _HEX_COLOR.fullmatch(value):
        raise PydanticCustomError("color", "must be a hex color #rrggbb, e.g. #dc3545")
    return value.lower()


Color = Annotated[str, AfterValidator(_hex_color)]


class TagCreate(Input):
    name: Name50 = Field(examples=["postmortem-required"])
    color: Color = Field(default=DEFAULT_COLOR, examples=["#dc3545"])


class TagUpdate(Input):
    """PATCH: only the fields sent change."""

    name: Annotated[Name50 | None, NotNull] = None
    color: Annotated[Color | None, NotNull] = None

    @classmethod
    def replacing(cls, data: TagCreate) -> TagUpdate:
        return cls.model_validate(data.model_dump())


class TagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    color: str
