"""Escalations: a policy paging, level after level, until the incident is taken on.

When a TRIGGERED incident opens on a service with a policy, the policy is copied onto an
`Escalation` row in the transaction that opened the incident, and its first step, due at once,
runs in that transaction too: its pages are jobs committed with the incident, so the first page
waits for no escalation job before it (were that step to fail, it is enqueued as a job instead,
retried as any step). Each later step is a job due at its time (`run_at`), so a restart in the
middle carries on when the next step is due. Steps and pages are urgent jobs: a worker takes
them before bulk work that was due earlier. A step checks the incident first: anything but
TRIGGERED stops the escalation (and says why). A step that has already run does nothing (a job
may run twice). Every step, every stop, every notification sent or failed is a timeline entry
of the incident.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.models import Service
from imas.db import memoized, utcnow
from imas.incidents.models import Incident, Status, TimelineType
from imas.incidents.service import timeline
from imas.jobs.models import JobPriority
from imas.jobs.queue import enqueue
from imas.oncall import repository
from imas.oncall.models import Escalation, EscalationPolicy, EscalationStatus
from imas.oncall.service.schedules import on_call_many

STEP_JOB = "oncall.escalate"
PAGE_JOB = "oncall.page"
PAGE_ATTEMPTS = 5

log = structlog.get_logger("imas.oncall")


@dataclass(frozen=True)
class Recipient:
    kind: str
    target: str
    delay_minutes: int = 0
    user_id: uuid.UUID | None = None
    username: str | None = None


def _iso(at: datetime) -> str:
    return at.isoformat()


async def start(session: AsyncSession, incident: Incident, due: datetime) -> Escalation | None:
    """Start the policy of the incident's service (if it has one and the incident is
    TRIGGERED); the first step is due at `due`, and runs here if it is due already. Starting
    twice starts once."""
    if incident.status != Status.TRIGGERED:
        return None
    service_id = incident.service_id
    service = await memoized(
        session, ("service", service_id), lambda: session.get(Service, service_id)
    )
    if service is None or service.escalation_policy_id is None:
        return None
    policy_id = service.escalation_policy_id
    policy = await memoized(
        session, ("policy", policy_id), lambda: session.get(EscalationPolicy, policy_id)
    )
    if policy is None or not policy.levels:
        return None
    escalation = Escalation(
        incident_id=incident.id,
        policy_id=policy.id,
        policy_name=policy.name,
        repeat=policy.repeat,
        levels=list(policy.levels),
        status=EscalationStatus.ACTIVE,
        steps_done=0,
    )
    try:
        async with session.begin_nested():
            session.add(escalation)
            await session.flush()
    except IntegrityError:
        return None  # already under way for this incident
    escalation_id = escalation.id  # (a failed step below expires what it had changed)
    if due <= utcnow():
        try:
            async with session.begin_nested():
                await _page_step(session, escalation, incident, 0, due)
        except Exception as exc:  # the step's job will try again (and say what fails)
            log.warning("first_step_deferred", escalation_id=str(escalation_id), error=str(exc))
        else:
            return escalation
    await enqueue_step(session, escalation_id, 0, due)
    return escalation


async def enqueue_step(
    session: AsyncSession, escalation_id: uuid.UUID, step: int, due: datetime
) -> None:
    await enqueue(
        session,
        STEP_JOB,
        {"escalation_id": str(escalation_id), "step": step, "due": _iso(due)},
        run_at=due,
        priority=JobPriority.URGENT,
    )


async def stop(session: AsyncSession, incident: Incident, reason: str) -> bool:
    """Stop the incident's escalation under way (if any), recording why."""
    escalation = await repository.active_escalation_of(session, incident.id)
    if escalation is None:
        return False
    _stop(session, escalation, incident, EscalationStatus.STOPPED, reason)
    return True


def _stop(
    session: AsyncSession,
    escalation: Escalation,
    incident: Incident,
    status: EscalationStatus,
    reason: str,
) -> None:
    escalation.status = status
    escalation.stop_reason = reason
    escalation.updated_at = utcnow()
    timeline.record(
        session,
        incident,
        TimelineType.ESCALATION,
        f"Escalation policy {escalation.policy_name} stopped: {reason}",
        None,
        escalation_id=str(escalation.id),
        status=str(status),
        reason=reason,
    )


async def run_step(
    session: AsyncSession, escalation_id: uuid.UUID, step: int, due: datetime
) -> str:
    """Page level `step` (counted over every round) of the escalation; returns what happened."""
    escalation = await repository.lock_escalation(session, escalation_id)
    if escalation is None:
        return "gone"  # its incident was deleted
    if escalation.status != EscalationStatus.ACTIVE or escalation.steps_done != step:
        return "already done"
    incident = await session.get(Incident, escalation.incident_id)
    if incident is None:
        return "gone"
    if incident.status != Status.TRIGGERED:
        _stop(
            session,
            escalation,
            incident,
            EscalationStatus.STOPPED,
            f"the incident is {incident.status.lower()}",
        )
        return "stopped"
    await _page_step(session, escalation, incident, step, due)
    return "paged"


async def _page_step(
    session: AsyncSession, escalation: Escalation, incident: Incident, step: int, due: datetime
) -> None:
    """Enqueue the pages of level `step` of an active escalation of a TRIGGERED incident, record
    it, and enqueue the next step (or end the escalation when every level has been paged)."""
    levels = escalation.levels
    total = len(levels) * (1 + escalation.repeat)
    level_no, round_no = step % len(levels), step // len(levels)
    level = levels[level_no]
    recipients, notes = await _recipients(session, level["targets"], incident.severity, due)
    for recipient in recipients:
        await enqueue_page(session, incident, escalation, step, recipient, due)
    paged = ", ".join(notes) or "nobody"
    round_note = f", round {round_no + 1}" if escalation.repeat else ""
    timeline.record(
        session,
        incident,
        TimelineType.ESCALATION,
        f"Escalation policy {escalation.policy_name}, level {level_no + 1} of {len(levels)}"
        f"{round_note}: paging {paged}",
        None,
        escalation_id=str(escalation.id),
        step=step,
        level=level_no + 1,
        round=round_no + 1,
        recipients=[
            {"kind": r.kind, "target": r.target, "user": r.username, "delay": r.delay_minutes}
            for r in recipients
        ],
    )
    escalation.steps_done = step + 1
    escalation.updated_at = utcnow()
    if step + 1 < total:
        await enqueue_step(
            session, escalation.id, step + 1, due + timedelta(minutes=int(level["delay_minutes"]))
        )
    else:
        escalation.status = EscalationStatus.EXHAUSTED
        escalation.stop_reason = "every level has been paged"
    await session.flush()


async def enqueue_page(
    session: AsyncSession,
    incident: Incident,
    escalation: Escalation | None,
    step: int,
    recipient: Recipient,
    due: datetime,
) -> None:
    payload: dict[str, Any] = {
        "incident_id": str(incident.id),
        "kind": recipient.kind,
        "target": recipient.target,
        "user_id": str(recipient.user_id) if recipient.user_id else None,
        "username": recipient.username,
        "escalation_id": str(escalation.id) if escalation else None,
        "step": step,
        "delay_minutes": recipient.delay_minutes,
        # The incident as the step saw it (TRIGGERED): a page due at once is sent without
        # reading it again; a delayed one reads it first.
        "page": {
            "short_id": incident.short_id,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
        },
    }
    await enqueue(
        session,
        PAGE_JOB,
        payload,
        run_at=due + timedelta(minutes=recipient.delay_minutes),
        max_attempts=PAGE_ATTEMPTS,
        priority=JobPriority.URGENT,
    )


async def _recipients(
    session: AsyncSession, targets: list[dict[str, Any]], severity: str, at: datetime
) -> tuple[list[Recipient], list[str]]:
    """Each target of a level as the contact methods to page, and a note per target."""
    notes: list[str] = []
    people: list[tuple[uuid.UUID, str]] = []  # (user id, why)
    channels: list[Recipient] = []
    schedule_ids = [uuid.UUID(t["id"]) for t in targets if t["type"] == "schedule"]
    schedules = await repository.schedules_by_id(session, schedule_ids)
    on_call = await on_call_many(session, schedules, at)  # on call when the step is due
    for t in targets:
        if t["type"] == "user":
            people.append((uuid.UUID(t["id"]), ""))
        elif t["type"] == "schedule":
            found = on_call.get(uuid.UUID(t["id"]))
            if found is None or found.user is None:
                name = found.schedule.name if found else t["id"]
                notes.append(f"nobody (no one on call on schedule {name})")
            else:
                people.append((found.user.id, f" (on call on {found.schedule.name})"))
        else:
            channels.append(Recipient(kind=t["kind"], target=t["target"]))
            notes.append(f"{t['kind']} {t['target']}")
    users = {u.id: u for u in await repository.org_users(session, [p for p, _ in people])}
    rules, methods = await repository.rules_and_methods(session, list(users))
    recipients: list[Recipient] = []
    once: dict[uuid.UUID, str] = {}  # a person named twice in a level is paged once
    for user_id, why in people:
        once.setdefault(user_id, why)
    for user_id, why in once.items():
        user = users.get(user_id)
        if user is None:
            notes.append(f"nobody (user {user_id} left the organization)")
            continue
        mine = _user_recipients(user.id, user.username, user.email, rules, methods, severity)
        recipients.extend(mine)
        notes.append(
            f"{user.username}{why}" if mine else f"{user.username}{why}: no contact method"
        )
    return recipients + channels, notes


def _user_recipients(
    user_id: uuid.UUID,
    username: str,
    email: str | None,
    rules: list[Any],
    methods: list[Any],
    severity: str,
) -> list[Recipient]:
    """The user's rules for this severity; without rules, each of their contact methods at
    once; without contact methods, their account's e-mail address."""
    by_id = {m.id: m for m in methods if m.user_id == user_id}
    own_rules = [r for r in rules if r.user_id == user_id]
    if own_rules:
        return [
            Recipient(
                by_id[r.contact_method_id].kind,
                by_id[r.contact_method_id].target,
                r.delay_minutes,
                user_id,
                username,
            )
            for r in own_rules
            if r.contact_method_id in by_id and (not r.severities or severity in r.severities)
        ]
    if by_id:
        return [Recipient(m.kind, m.target, 0, user_id, username) for m in by_id.values()]
    if email:
        return [Recipient("email", email, 0, user_id, username)]
    return []
