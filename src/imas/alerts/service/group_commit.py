"""Group commit of webhook posts: the posts that arrive while a transaction is being written are
applied together in the next one, so a busy receiver commits a few times per second, not once
per post.

One task per process takes every waiting post (up to `max_alerts` alerts), opens one write
transaction, and for each post in arrival order: finds its integration by key, parses it with
the integration's source, and applies it in a savepoint of its own. A post that fails (bad key,
bad payload, an error while applying it) gets its error and leaves nothing behind; the others
are committed together. Each caller is answered only after that commit, so a 2xx still means the
post is stored; if the commit fails, every post of the batch gets the error.

Posts of one integration are applied in the order they arrived, so 50 concurrent posts of one
firing alert count 50 on one alert, as they would one transaction each.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts import repository
from imas.alerts.exceptions import (
    IntegrationDisabled,
    IntegrationKindMismatch,
    InvalidIntegrationKey,
)
from imas.alerts.models import Integration
from imas.alerts.presenters import webhook_url
from imas.alerts.schemas import Received, ReceivedAlert
from imas.alerts.service.intake import Outcome, ingest
from imas.alerts.service.integrations import source_of
from imas.alerts.sources.base import AlertIn, Source
from imas.db import Database, memoize_lookups
from imas.errors import IMASError

log = structlog.get_logger(__name__)

MAX_ALERTS_PER_TRANSACTION = 5_000
MAX_REMEMBERED_GROUPS = 10_000


@dataclass(slots=True)
class Post:
    kind: str
    key: str
    payload: Any
    request_id: str | None
    answer: asyncio.Future[Received]
    alerts: list[AlertIn] = field(default_factory=list)
    source: Source | None = None
    integration: Integration | None = None

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()

    def fail(self, error: BaseException) -> None:
        if not self.answer.done():
            self.answer.set_exception(error)


class GroupCommit:
    """The process's intake writer (one per app): `await submit(...)` returns once committed."""

    def __init__(self, db: Database, max_alerts: int = MAX_ALERTS_PER_TRANSACTION) -> None:
        self.db = db
        self.max_alerts = max_alerts
        self._waiting: list[Post] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._groups: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        """The incident each alert group last joined (a hint, checked under lock on use)."""

    async def submit(self, kind: str, key: str, payload: Any, request_id: str | None) -> Received:
        """Apply one post of a `kind` receiver authenticated by `key`; raises its error."""
        loop = asyncio.get_running_loop()
        post = Post(kind, key, payload, request_id, loop.create_future())
        self._waiting.append(post)
        self._running().set()
        return await post.answer

    async def close(self) -> None:
        """Finish the waiting posts, then stop."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._waiting:
            await self._apply(self._take())

    def _running(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._wake = asyncio.Event()
            self._task = loop.create_task(self._loop(self._wake), name="alert-intake")
        assert self._wake is not None
        return self._wake

    async def _loop(self, wake: asyncio.Event) -> None:
        while True:
            await wake.wait()
            wake.clear()
            await asyncio.sleep(0)  # the posts already read from their sockets join this batch
            while self._waiting:
                batch = self._take()
                try:
                    await self._apply(batch)
                except Exception as exc:  # the commit itself failed: nobody's post is stored
                    log.exception("alert intake batch failed", posts=len(batch))
                    for post in batch:
                        post.fail(exc)

    def _take(self) -> list[Post]:
        taken, size = 0, 0
        for post in self._waiting:
            size += _size(post.payload)
            taken += 1
            if size >= self.max_alerts:
                break
        batch, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return batch

    async def _apply(self, batch: list[Post]) -> None:
        """Apply the batch with each integration's posts as one (the fast way); if that fails,
        roll it all back and apply the posts one by one, each in a savepoint of its own, so
        that only the failing post fails."""
        try:
            answers = await self._write(batch, merged=True)
        except Exception:
            answers = await self._write(batch, merged=False)
        for post, received in answers:
            if not post.answer.done():
                post.answer.set_result(received)

    async def _write(self, batch: list[Post], *, merged: bool) -> list[tuple[Post, Received]]:
        async with self.db.write_sessions() as session:
            memoize_lookups(session)
            found = await repository.integrations_by_key_hashes(
                session, {post.key_hash for post in batch}
            )
            ready: list[Post] = []
            for post in batch:
                if post.answer.done():  # the caller went away before it was applied
                    continue
                try:
                    _prepare(post, found.get(post.key_hash))
                except Exception as exc:
                    post.fail(exc)
                else:
                    ready.append(post)
            if len(self._groups) > MAX_REMEMBERED_GROUPS:
                self._groups.clear()
            answers = await (
                _merged(session, ready, self._groups)
                if merged
                else _one_by_one(session, ready, self._groups)
            )
            await session.commit()
        return answers


Groups = dict[tuple[uuid.UUID, str], uuid.UUID]


async def _merged(
    session: AsyncSession, posts: list[Post], groups: Groups
) -> list[tuple[Post, Received]]:
    """Each integration's posts applied as one post, in arrival order; any error fails all."""
    by_integration: dict[uuid.UUID, list[Post]] = {}
    for post in posts:
        assert post.integration is not None
        by_integration.setdefault(post.integration.id, []).append(post)
    results: list[tuple[Post, list[Outcome]]] = []
    for group in by_integration.values():
        _act_for(session, group[0])
        alerts = [alert for post in group for alert in post.alerts]
        assert group[0].integration is not None
        outcomes = await ingest(
            session, group[0].integration, alerts, locked=True, remembered=groups
        )
        start = 0
        for post in group:
            results.append((post, outcomes[start : start + len(post.alerts)]))
            start += len(post.alerts)
    return await _answers(session, results)


async def _one_by_one(
    session: AsyncSession, posts: list[Post], groups: Groups
) -> list[tuple[Post, Received]]:
    results: list[tuple[Post, list[Outcome]]] = []
    for post in posts:
        assert post.integration is not None
        _act_for(session, post)
        try:
            async with session.begin_nested():
                outcomes = await ingest(
                    session, post.integration, post.alerts, locked=True, remembered=groups
                )
        except Exception as exc:
            if not isinstance(exc, IMASError):
                log.exception("alert post failed", kind=post.kind)
            post.fail(exc)
        else:
            results.append((post, outcomes))
    return await _answers(session, results)


def _act_for(session: AsyncSession, post: Post) -> None:
    """Bind the session to the post's organization and name its integration as the actor."""
    assert post.integration is not None
    session.info.update(
        organization_id=post.integration.organization_id,
        actor_id=None,
        actor_name=f"integration:{post.integration.name}",
        request_id=post.request_id,
    )


async def _answers(
    session: AsyncSession, results: list[tuple[Post, list[Outcome]]]
) -> list[tuple[Post, Received]]:
    missing = {
        o.incident_id
        for _, outcomes in results
        for o in outcomes
        if o.incident_id is not None and o.incident_short_id is None
    }
    session.info.pop("organization_id", None)
    short_ids = await repository.short_ids(session, missing, all_orgs=True)
    answers = []
    for post, outcomes in results:
        assert post.source is not None
        received = [
            ReceivedAlert(
                id=o.alert_id,
                fingerprint=o.fingerprint,
                status=o.status,
                incident=o.incident_short_id
                or (short_ids.get(o.incident_id) if o.incident_id else None),
                deduplicated=o.deduplicated,
                silenced=o.silenced,
            )
            for o in outcomes
        ]
        answers.append(
            (
                post,
                Received(
                    received=len(post.alerts),
                    alerts=received,
                    **post.source.response_extra(post.alerts, received),
                ),
            )
        )
    return answers


def _size(payload: Any) -> int:
    if isinstance(payload, dict):
        alerts = payload.get("alerts")
        return len(alerts) if isinstance(alerts, list) else 1
    return len(payload) if isinstance(payload, list) else 1


def _prepare(post: Post, integration: Integration | None) -> None:
    """Authenticate the post and parse it with its integration's source (no writes)."""
    if integration is None:
        raise InvalidIntegrationKey(
            "No integration has this key: check it, or rotate the integration's key and "
            "configure the new one.",
            details={"reason": "unknown key"},
        )
    if not integration.is_active:
        raise IntegrationDisabled(
            f"Integration '{integration.name}' is disabled; an admin can enable it again.",
            details={"integration_id": str(integration.id)},
        )
    if integration.kind != post.kind:
        raise IntegrationKindMismatch(
            f"This key belongs to a {integration.kind} integration: post to "
            f"{webhook_url(integration.kind)} instead of {webhook_url(post.kind)}.",
            details={"integration_kind": integration.kind, "receiver_kind": post.kind},
        )
    post.integration = integration
    post.source = source_of(integration)
    post.alerts = post.source.parse(post.payload)
