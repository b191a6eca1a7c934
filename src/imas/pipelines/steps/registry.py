"""The one registry of step types: every `Step` subclass with a `kind` in a module of
`imas.pipelines.steps`. Adding a type is adding one module there."""

from __future__ import annotations

from functools import cache

from imas.pipelines import steps
from imas.pipelines.steps.base import Step
from imas.plugins import discover


@cache
def _all() -> dict[str, type[Step]]:
    return discover(steps, Step, "step types")


def kinds() -> list[str]:
    return list(_all())


def find(kind: str) -> type[Step] | None:
    return _all().get(kind)
