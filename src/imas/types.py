"""Types shared by the API's request models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def _assume_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_assume_utc)]
"""An ISO 8601 time; one given without an offset is taken as UTC (the API speaks UTC)."""
