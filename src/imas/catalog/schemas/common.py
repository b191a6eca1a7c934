"""Field types and nested references shared by the catalog's request and response models."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    StringConstraints,
)
from pydantic_core import PydanticCustomError


def _http_url(value: str | None) -> str | None:
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("url", "must be an http(s) URL, e.g. https://wiki.example.com/x")
    return value


class Input(BaseModel):
    """Base of the catalog's request bodies (NUL characters never get this far: see
    `imas.api.middleware`)."""


# Trimmed, non-empty, no longer than their columns.
Name100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Name50 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Title200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Url500 = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None,
    AfterValidator(_http_url),
]
"""An http(s) URL or null; an empty string is taken as null."""


class TeamRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str


class ServiceRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str


class UserRef(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    email: str | None
