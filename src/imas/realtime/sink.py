"""Events -> live messages, sent only once the transaction that caused them commits.

On PostgreSQL the messages go out as `NOTIFY imas_realtime` inside the transaction (PostgreSQL
delivers a notification only when its transaction commits, and to every listening IMAS process,
this one included); elsewhere (the embedded SQLite default: one process) they are handed to this
process's broker after the commit. An event emitted in a savepoint that is rolled back is
dropped with it.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from imas.db import TenantSession
from imas.events import EventType, sink
from imas.events.bus import MakeEvent
from imas.realtime.broker import BROKER, CHANNEL
from imas.realtime.messages import message

_PENDING = "realtime.pending"
NOTIFY_BYTES = 7000
"""PostgreSQL refuses NOTIFY payloads over 8000 bytes: messages are packed under this."""

Pending = list[tuple[SessionTransaction, str, dict[str, Any]]]


def _nobody_listens(session: AsyncSession) -> bool:
    """One process (no NOTIFY to share through), nobody of this organization connected."""
    sync = session.sync_session
    return sync.get_bind().dialect.name != "postgresql" and not BROKER.listening(
        sync.info.get("organization_id")
    )


def _queue(session: AsyncSession, organization_id: str, msg: dict[str, Any]) -> None:
    sync = session.sync_session
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    if transaction is None:
        return
    pending: Pending = sync.info.setdefault(_PENDING, [])
    pending.append((transaction, organization_id, msg))


@sink
async def to_live_clients(session: AsyncSession, event_type: EventType, make: MakeEvent) -> None:
    if _nobody_listens(session):
        return  # nothing to build
    built = await make()
    _queue(session, str(built.organization_id), message(built))


def publish(session: AsyncSession, msg: dict[str, Any]) -> None:
    """Send `msg` to the session's organization's live clients once the transaction commits
    (what is not a domain event: a pipeline run's progress)."""
    if not _nobody_listens(session):
        _queue(session, str(session.sync_session.info["organization_id"]), msg)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(TenantSession, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    pending: Pending | None = session.info.get(_PENDING)
    if pending:
        pending[:] = [p for p in pending if not _within(p[0], previous)]


@event.listens_for(TenantSession, "before_commit")
def _notify(session: Session) -> None:
    pending: Pending | None = session.info.get(_PENDING)
    if not pending or session.get_bind().dialect.name != "postgresql":
        return
    for payload in _packed([(org, msg) for _, org, msg in pending]):
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
        )
    pending.clear()


@event.listens_for(TenantSession, "after_commit")
def _deliver(session: Session) -> None:
    pending: Pending | None = session.info.pop(_PENDING, None)
    for _, organization_id, msg in pending or ():
        BROKER.deliver_notification(json.dumps([[organization_id, msg]]))


def _packed(items: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """JSON lists of `[organization_id, message]`, each under NOTIFY's size limit (a message too
    big alone is sent without its `ticket`/`alert` details)."""
    payloads: list[str] = []
    batch: list[str] = []
    size = 2
    for organization_id, msg in items:
        one = json.dumps([organization_id, msg], separators=(",", ":"), default=str)
        if len(one.encode()) > NOTIFY_BYTES:
            slim = {k: v for k, v in msg.items() if k not in ("ticket", "alert")}
            one = json.dumps([organization_id, slim], separators=(",", ":"), default=str)
        if batch and size + len(one) + 1 > NOTIFY_BYTES:
            payloads.append("[" + ",".join(batch) + "]")
            batch, size = [], 2
        batch.append(one)
        size += len(one) + 1
    if batch:
        payloads.append("[" + ",".join(batch) + "]")
    return payloads
