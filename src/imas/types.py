"""Types shared by the API's request models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError


def _assume_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_assume_utc)]
"""An ISO 8601 time; one given without an offset is taken as UTC (the API speaks UTC)."""


def _refuse_null(value: Any) -> Any:
    """PATCH may omit a field, but not null one whose column cannot be empty."""
    if value is None:
        raise PydanticCustomError("not_null", "may not be null; omit the field to keep its value")
    return value


NotNull = BeforeValidator(_refuse_null)
"""Marks an optional PATCH field as "omit it, never null it"."""
