"""`emit` and the sinks that turn an event into work of the same transaction."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import org_of, utcnow
from imas.events.catalogue import EventType


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    type: EventType
    organization_id: uuid.UUID
    occurred_at: datetime
    data: dict[str, Any]  # JSON-ready: strings, numbers, lists, dicts


Data = Mapping[str, Any] | Callable[[], Awaitable[Mapping[str, Any]]]
"""The event's payload, or a coroutine function making it (called only if someone listens)."""

MakeEvent = Callable[[], Awaitable[Event]]
Sink = Callable[[AsyncSession, EventType, MakeEvent], Awaitable[None]]
"""Gets the session, the event's name and a function building the event (the same one for every
sink); a sink with no listener for this name never calls it, so nobody pays for a payload that
nobody wants."""

# Modules whose import registers sinks. They are imported on the first emit, so an event can
# never be emitted into a process that forgot to load them.
SINK_MODULES: tuple[str, ...] = (
    "imas.notify.outbox",
    "imas.realtime.sink",
    "imas.rca.jobs",
    "imas.oncall.sink",
    "imas.integrations.slack.outbox",
    "imas.integrations.jira.outbox",
    "imas.automation.jobs",
    "imas.cicd.sink",
)

_SINKS: list[Sink] = []
_loaded = False


def sink(fn: Sink) -> Sink:
    if fn not in _SINKS:
        _SINKS.append(fn)
    return fn


def _load_sinks() -> None:
    global _loaded
    if not _loaded:
        for module in SINK_MODULES:
            importlib.import_module(module)
        _loaded = True


async def emit(session: AsyncSession, event_type: EventType, data: Data) -> Event | None:
    """Record that `event_type` happened in the session's organization, in its transaction.

    Returns the event, or None when no sink had a listener for it (nothing was built).
    """
    _load_sinks()
    organization_id = org_of(session)
    kind = EventType(event_type)
    built: Event | None = None

    async def make() -> Event:
        nonlocal built
        if built is None:
            payload = await data() if callable(data) else data
            built = Event(
                id=uuid.uuid4(),
                type=kind,
                organization_id=organization_id,
                occurred_at=utcnow(),
                data=to_jsonable_python(dict(payload)),
            )
        return built

    for each in list(_SINKS):
        await each(session, kind, make)
    return built
