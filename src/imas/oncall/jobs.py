"""Background work of on-call: escalation steps and pages, each a durable job.

`oncall.escalate` runs one step of an escalation (see `service.escalation`); `oncall.page`
sends one page through its channel and records it on the incident's timeline. A page that
cannot be sent is retried with backoff; after its last attempt (or at once for a channel kind
IMAS does not have) a NOTIFICATION_FAILED entry says so.

Pages sent together are recorded together: their NOTIFICATION_SENT entries and the completion
of their jobs in one transaction (`imas.jobs.batching`), instead of one write transaction, and
one wait for SQLite's single writer, per page. A page whose incident was deleted meanwhile is
completed without an entry, so it never fails the others' record (whose failure would send
their pages again).
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import Database
from imas.incidents.models import Incident, Status, TimelineType
from imas.incidents.service import timeline
from imas.jobs.batching import Coalescer
from imas.jobs.registry import JobContext, PermanentFailure, handler, succeed_all_in
from imas.notify.channels import registry as channels
from imas.notify.channels.base import ChannelError, Page
from imas.oncall.service import escalation
from imas.oncall.service.escalation import PAGE_JOB, STEP_JOB

log = structlog.get_logger("imas.oncall")


@handler(STEP_JOB)
async def escalate(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.db.transaction() as session:
        session.info["organization_id"] = ctx.organization_id
        outcome = await escalation.run_step(
            session,
            uuid.UUID(payload["escalation_id"]),
            int(payload["step"]),
            datetime.fromisoformat(payload["due"]),
        )
        await ctx.succeed_in(session)  # one commit for the step and its job
    log.debug("escalation_step", escalation_id=payload["escalation_id"], outcome=outcome)


def page_of(incident: Incident, public_url: str) -> Page:
    return Page(
        organization_id=incident.organization_id,
        incident_id=incident.id,
        incident_short_id=incident.short_id,
        title=incident.title,
        severity=incident.severity,
        status=incident.status,
        url=f"{public_url.rstrip('/')}/incidents/{incident.short_id}",
        text=f"[{incident.severity}] {incident.short_id} {incident.title} ({incident.status})",
    )


def page_from(organization_id: uuid.UUID, payload: dict[str, Any], public_url: str) -> Page:
    seen = payload["page"]
    return Page(
        organization_id=organization_id,
        incident_id=uuid.UUID(payload["incident_id"]),
        incident_short_id=seen["short_id"],
        title=seen["title"],
        severity=seen["severity"],
        status=seen["status"],
        url=f"{public_url.rstrip('/')}/incidents/{seen['short_id']}",
        text=f"[{seen['severity']}] {seen['short_id']} {seen['title']} ({seen['status']})",
    )


def _who(payload: dict[str, Any]) -> str:
    who = f"{payload['kind']} {payload['target']}"
    return f"{payload['username']} by {who}" if payload.get("username") else who


async def _record(
    ctx: JobContext, payload: dict[str, Any], kind: TimelineType, message: str, **data: Any
) -> None:
    async with ctx.db.transaction() as session:
        session.info["organization_id"] = ctx.organization_id
        incident = await session.get(Incident, uuid.UUID(payload["incident_id"]))
        if incident is not None:
            timeline.record(
                session,
                incident,
                kind,
                message,
                None,
                channel=payload["kind"],
                target=payload["target"],
                user=payload.get("username"),
                escalation_id=payload.get("escalation_id"),
                step=payload.get("step"),
                **data,
            )


async def _send(session: AsyncSession, ctx: JobContext, payload: dict[str, Any]) -> str | None:
    """Send the page; None when there is nothing to send any more."""
    fresh = "page" in payload and not payload.get("delay_minutes") and ctx.attempt == 1
    if fresh:  # due at once: the step that made it saw the incident TRIGGERED just now
        page = page_from(ctx.organization_id, payload, ctx.settings.public_url)
    else:
        incident = await session.get(Incident, uuid.UUID(payload["incident_id"]))
        if incident is None:
            return None  # deleted meanwhile
        if payload.get("escalation_id") and incident.status != Status.TRIGGERED:
            return None  # taken on before this (delayed or retried) page went out
        page = page_of(incident, ctx.settings.public_url)
    channel = channels.get(payload["kind"], ctx.settings)
    if channel is None:
        raise PermanentFailure(f"IMAS has no notification channel of kind {payload['kind']!r}")
    return await channel.send(session, payload["target"], page)


@dataclass(frozen=True)
class _Sent:
    ctx: JobContext
    entry: dict[str, Any]  # its NOTIFICATION_SENT timeline row


async def _record_together(db: Database, sent: list[_Sent]) -> None:
    """The timeline entries of pages sent together, and their jobs' completion, in one
    transaction. Incidents deleted meanwhile get no entry (their pages went out all the same);
    on PostgreSQL the others are held (FOR KEY SHARE) until the entries are in."""
    incident_ids = {s.entry["incident_id"] for s in sent}
    async with db.transaction() as session:
        present = select(Incident.id).where(Incident.id.in_(incident_ids))
        if db.dialect == "postgresql":
            present = present.with_for_update(key_share=True)
        found = set((await session.scalars(present.execution_options(all_orgs=True))).all())
        await timeline.insert_rows(
            session, [s.entry for s in sent if s.entry["incident_id"] in found]
        )
        await succeed_all_in(session, [s.ctx for s in sent])


async def _record_sent(db: Database, sent: list[_Sent]) -> list[Exception | None]:
    """A batch's record, or, if it fails, each page's alone: a failed record means the page is
    sent again (its job is retried), so one that cannot be recorded takes no other with it."""
    try:
        await _record_together(db, sent)
    except Exception:
        if len(sent) == 1:
            raise
        return [await _record_alone(db, one) for one in sent]
    return [None] * len(sent)


async def _record_alone(db: Database, one: _Sent) -> Exception | None:
    try:
        await _record_together(db, [one])
    except Exception as exc:
        return exc
    return None


_RECORDERS: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[Database, Coalescer[_Sent, Exception | None]]
] = weakref.WeakKeyDictionary()


def _recorder(db: Database) -> Coalescer[_Sent, Exception | None]:
    """The batches of one worker's pages (per event loop and database)."""
    of_loop = _RECORDERS.setdefault(asyncio.get_running_loop(), {})
    recorder = of_loop.get(db)
    if recorder is None:
        recorder = of_loop[db] = Coalescer(lambda sent: _record_sent(db, sent))
    return recorder


async def _sent(ctx: JobContext, payload: dict[str, Any], message_id: str) -> None:
    """Record the page on the timeline and finish the job (in a batch's transaction)."""
    incident = Incident(id=uuid.UUID(payload["incident_id"]), organization_id=ctx.organization_id)
    entry = timeline.row(
        incident,
        TimelineType.NOTIFICATION_SENT,
        f"Paged {_who(payload)}",
        None,
        channel=payload["kind"],
        target=payload["target"],
        user=payload.get("username"),
        escalation_id=payload.get("escalation_id"),
        step=payload.get("step"),
        message_id=message_id,
        attempts=ctx.attempt,
    )
    failure = await _recorder(ctx.db)(_Sent(ctx, entry))
    if failure is not None:
        raise failure


@handler(PAGE_JOB)
async def page(ctx: JobContext, payload: dict[str, Any]) -> None:
    try:
        # Sent from a read session: no write lock is held while the provider answers.
        async with ctx.db.read_sessions() as session:
            session.info["organization_id"] = ctx.organization_id
            message_id = await _send(session, ctx, payload)
    except PermanentFailure as exc:
        await _record(
            ctx,
            payload,
            TimelineType.NOTIFICATION_FAILED,
            f"Page to {_who(payload)} failed: {exc}",
            error=str(exc),
            attempts=ctx.attempt,
        )
        raise
    except ChannelError as exc:
        if ctx.last_attempt:
            await _record(
                ctx,
                payload,
                TimelineType.NOTIFICATION_FAILED,
                f"Page to {_who(payload)} failed after {ctx.attempt} attempts: {exc}",
                error=str(exc),
                attempts=ctx.attempt,
            )
        raise
    if message_id is not None:
        await _sent(ctx, payload, message_id)
