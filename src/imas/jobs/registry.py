"""Job kinds and their handlers. A domain registers its own in its `jobs.py`."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from imas.config import Settings
from imas.db import Database


@dataclass(frozen=True)
class JobContext:
    db: Database
    settings: Settings
    job_id: uuid.UUID
    organization_id: uuid.UUID
    attempt: int
    max_attempts: int

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help: the job goes straight to dead."""


_HANDLERS: dict[str, Handler] = {}

# Modules whose import registers handlers; a new domain with background work adds itself here.
HANDLER_MODULES: tuple[str, ...] = ("imas.notify.jobs", "imas.rca.jobs")


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise RuntimeError(f"two handlers for job kind {kind!r}")
        _HANDLERS[kind] = fn
        return fn

    return register


def find(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def load_handlers() -> None:
    for module in HANDLER_MODULES:
        importlib.import_module(module)
