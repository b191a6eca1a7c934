"""The one registry of notification channels: every `Channel` subclass with a `kind` in a
module of `imas.notify.channels`. Adding a channel is adding one module there."""

from __future__ import annotations

from functools import cache

from imas.config import Settings
from imas.notify import channels
from imas.notify.channels.base import Channel
from imas.plugins import discover


@cache
def _all() -> dict[str, type[Channel]]:
    return discover(channels, Channel, "notification channels")


def kinds() -> list[str]:
    return list(_all())


def get(kind: str, settings: Settings) -> Channel | None:
    """The channel of `kind` set up with `settings`; None when IMAS has none."""
    cls = _all().get(kind)
    return cls(settings) if cls is not None else None
