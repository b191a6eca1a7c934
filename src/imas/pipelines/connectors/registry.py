"""The one registry of connector types: every `Connector` subclass with a `kind` in a module of
`imas.pipelines.connectors`. Adding a type is adding one module there."""

from __future__ import annotations

from functools import cache

from imas.pipelines import connectors
from imas.pipelines.connectors.base import Connector
from imas.plugins import discover


@cache
def _all() -> dict[str, type[Connector]]:
    return discover(connectors, Connector, "connector types")


def kinds() -> list[str]:
    return list(_all())


def find(kind: str) -> type[Connector] | None:
    return _all().get(kind)
