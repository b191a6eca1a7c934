"""The one registry of alert sources: every `Source` subclass with a `kind` in a module of
`imas.alerts.sources`. Adding a source is adding one module there."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from imas.alerts import sources
from imas.alerts.sources.base import Source
from imas.errors import NotFound, ValidationFailed
from imas.plugins import discover


@cache
def _all() -> dict[str, type[Source]]:
    return discover(sources, Source, "alert sources")


def kinds() -> list[str]:
    return list(_all())


def all_sources() -> list[type[Source]]:
    return list(_all().values())


def get(kind: str) -> type[Source]:
    """The source of `kind` (NotFound, 404, when IMAS has none)."""
    try:
        return _all()[kind]
    except KeyError:
        raise NotFound(
            f"IMAS has no alert source '{kind}'; known: {', '.join(kinds())}.",
            details={"resource": "alert source", "id": kind},
        ) from None


def check_kind(kind: str, field: str = "kind") -> type[Source]:
    """The source of `kind`, or a 400 on `field` (for request bodies)."""
    if kind not in _all():
        raise ValidationFailed.field(
            field, f"unknown source '{kind}'; use one of: {', '.join(kinds())}"
        )
    return _all()[kind]


def configured(
    kind: str, options: Mapping[str, Any], severity_map: Mapping[str, str] | None = None
) -> Source:
    """The source of `kind` set up with an integration's options and severity overrides."""
    return get(kind).configure(options, severity_map)
