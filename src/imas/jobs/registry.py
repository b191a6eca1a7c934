"""Job kinds and their handlers. A domain registers its own in its `jobs.py`.

Besides the handler of a kind, a domain may register
- an `on_dead` hook: called when a job of that kind dies, in the transaction that marks it dead
  (so the domain's own record of the work - a webhook delivery - cannot be left behind), whether
  the job died through its handler's failure or because its worker stopped during its last
  attempt; the hook must do nothing when the handler already recorded the end itself;
- a `resource`: an async context manager each worker enters for its lifetime (what a kind's
  handlers share: an HTTP connection pool).
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from imas.config import Settings
from imas.db import Database
from imas.jobs import store


@dataclass
class _Completion:
    succeeded: bool | None = None  # None: the handler did not complete the job itself


@dataclass(frozen=True)
class JobContext:
    db: Database
    settings: Settings
    job_id: uuid.UUID
    organization_id: uuid.UUID
    attempt: int
    max_attempts: int
    worker: str = ""  # the lease owner ("" when a handler is called outside a worker)
    completion: _Completion = field(default_factory=_Completion, compare=False, repr=False)

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts

    async def succeed_in(self, session: AsyncSession | AsyncConnection) -> bool:
        """Mark the job succeeded in the transaction of `session` (or a connection), so it
        commits with the handler's own writes (one commit instead of two). Call it in the
        handler's last transaction, after which the handler must return. False when this
        worker no longer holds the job's lease (another worker has taken it up): the job is
        then left to that worker."""
        done = await store.succeed_in(session, self.job_id, self.worker)
        self.completion.succeeded = done
        return done


async def succeed_all_in(
    session: AsyncSession | AsyncConnection, contexts: Sequence[JobContext]
) -> None:
    """`JobContext.succeed_in` for several jobs at once (a handler batch's transaction): one
    statement per worker instead of one per job."""
    by_worker: dict[str, list[JobContext]] = {}
    for context in contexts:
        by_worker.setdefault(context.worker, []).append(context)
    for worker, group in by_worker.items():
        done = await store.succeed_many_in(session, worker, [c.job_id for c in group])
        for context in group:
            context.completion.succeeded = context.job_id in done


Handler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
DeadHook = Callable[[AsyncSession, store.Dead], Awaitable[None]]
Resource = Callable[[], AbstractAsyncContextManager[None]]


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help: the job goes straight to dead."""


_HANDLERS: dict[str, Handler] = {}
_DEAD_HOOKS: dict[str, DeadHook] = {}
_RESOURCES: list[Resource] = []

# Modules whose import registers handlers; a new domain with background work adds itself here.
HANDLER_MODULES: tuple[str, ...] = (
    "imas.notify.jobs",
    "imas.rca.jobs",
    "imas.oncall.jobs",
    "imas.integrations.slack.jobs",
    "imas.integrations.jira.jobs",
    "imas.automation.jobs",
    "imas.pipelines.jobs",
    "imas.telemetry.jobs",
    "imas.kubernetes.jobs",
)


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise RuntimeError(f"two handlers for job kind {kind!r}")
        _HANDLERS[kind] = fn
        return fn

    return register


def on_dead(kind: str) -> Callable[[DeadHook], DeadHook]:
    def register(fn: DeadHook) -> DeadHook:
        if kind in _DEAD_HOOKS and _DEAD_HOOKS[kind] is not fn:
            raise RuntimeError(f"two on_dead hooks for job kind {kind!r}")
        _DEAD_HOOKS[kind] = fn
        return fn

    return register


def resource(fn: Resource) -> Resource:
    if fn not in _RESOURCES:
        _RESOURCES.append(fn)
    return fn


def find(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def find_on_dead(kind: str) -> DeadHook | None:
    return _DEAD_HOOKS.get(kind)


def resources() -> list[Resource]:
    return list(_RESOURCES)


def load_handlers() -> None:
    for module in HANDLER_MODULES:
        importlib.import_module(module)
