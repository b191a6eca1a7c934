from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from imas.rca.context import Context
from imas.rca.schemas import Analysis


@dataclass(frozen=True)
class Result:
    analysis: Analysis
    analyzer: str
    evidence: list[str] = field(default_factory=list)
    fallback_reason: str | None = None


class AnalyzerFailed(Exception):
    """The analyzer gave no usable answer (the caller falls back to the built-in one)."""


class Analyzer(ABC):
    name: str

    @abstractmethod
    async def analyze(self, context: Context) -> Result: ...
