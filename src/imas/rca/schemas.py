"""The analysis as seed 001 shows it, and IMAS's additions around it."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

ISO_DURATION = re.compile(r"^P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Risk(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class Analysis(BaseModel):
    """Seed 001's `analysis` object, exactly (an LLM's answer must validate against it)."""

    model_config = ConfigDict(extra="forbid")

    root_causes: list[Text] = Field(max_length=10)
    confidence_score: float = Field(ge=0, le=1)
    affected_components: list[Text] = Field(max_length=20)
    suggested_actions: list[Text] = Field(max_length=10)
    similar_incidents: list[str] = Field(max_length=10, description="Short ids")
    risk_assessment: Risk
    estimated_resolution_time: str = Field(
        max_length=40, description="ISO 8601 duration", examples=["PT2H"]
    )

    @field_validator("estimated_resolution_time")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not ISO_DURATION.match(value):
            raise ValueError("expected an ISO 8601 duration such as PT2H or P1DT4H")
        return value


class AnalysisRead(BaseModel):
    """`POST .../analyze/`: the seed's `message` and `analysis`, then what IMAS adds."""

    message: str = "Analysis completed"
    analysis: Analysis
    id: uuid.UUID
    analyzer: str = Field(description="builtin or llm: whose answer `analysis` is")
    evidence: list[str] = Field(description="What the analysis rests on, in words")
    fallback_reason: str | None = Field(
        description="Why the configured LLM's answer was not used (the built-in one was)"
    )
    created_at: datetime


class SimilarIncident(BaseModel):
    id: uuid.UUID
    short_id: str
    title: str
    score: float = Field(description="0..1, higher is more similar")
    root_cause: str | None
    resolution_note: str | None
    mttr_seconds: int | None


class SimilarList(BaseModel):
    results: list[SimilarIncident]
