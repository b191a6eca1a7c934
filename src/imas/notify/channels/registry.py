"""The one registry of notification channels: every `Channel` subclass with a `kind` in a
module of `imas.notify.channels`. Adding a channel is adding one module there."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from imas.config import Settings
from imas.notify import channels
from imas.notify.channels.base import Channel

_NOT_CHANNELS = frozenset({"base", "registry"})


def _subclasses(cls: type[Any]) -> list[type[Channel]]:
    found: list[type[Channel]] = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


@cache
def _all() -> dict[str, type[Channel]]:
    for module in pkgutil.iter_modules(channels.__path__):
        if module.name not in _NOT_CHANNELS:
            importlib.import_module(f"{channels.__name__}.{module.name}")
    found: dict[str, type[Channel]] = {}
    for cls in _subclasses(Channel):
        kind = cls.__dict__.get("kind")
        if isinstance(kind, str):
            if kind in found:
                raise RuntimeError(f"two notification channels claim the kind {kind!r}")
            found[kind] = cls
    return dict(sorted(found.items()))


def kinds() -> list[str]:
    return list(_all())


def get(kind: str, settings: Settings) -> Channel | None:
    """The channel of `kind` set up with `settings`; None when IMAS has none."""
    cls = _all().get(kind)
    return cls(settings) if cls is not None else None
