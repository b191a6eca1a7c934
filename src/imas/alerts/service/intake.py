"""Alert intake: the normalized alerts of one post become alerts, repeats, resolutions and
incidents, in the caller's transaction (this module never commits).

For each alert of the post, in order:

* a repeat of a firing fingerprint counts on the firing alert (occurrence_count, last_seen);
  whatever became of its incident meanwhile, a repeat never reopens or re-pages anything;
* a new firing becomes a new alert; unless a silence matches it or it has no service, it joins
  the open incident of its group (the integration's grouping labels; service + alertname by
  default) or opens one through the incidents service;
* a resolution resolves the firing alert; when no alert of its incident is left unresolved the
  incident is mitigated (or resolved, per integration) through the lifecycle service.

Concurrency: the post first locks its integration's row (PostgreSQL; on SQLite the write
transaction's BEGIN IMMEDIATE serializes writers), so the posts of one integration are applied
one after the other, and whatever else a post locks (alerts, incidents) it locks after that
(a person resolving an alert takes the same lock first: `service.alerts.update_alert`). Under
that lock the post reads the current alert of all its fingerprints in one query and works on
them in memory; the unique index on firing fingerprints (`uq_alerts_open_fingerprint`) backs
the lock up (a violation fails the post, and the group commit retries it once).
"""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts import repository
from imas.alerts.models import AlertStatus, Integration, Silence
from imas.alerts.service import rows
from imas.alerts.service.placement import group_key, place, service_of, settle_incident
from imas.alerts.service.rows import AlertRow
from imas.alerts.sources.base import AlertIn
from imas.db import new_id, utcnow
from imas.events import EventType, emit
from imas.incidents import service as incidents
from imas.incidents.models import Incident, Status
from imas.incidents.service import timeline
from imas.orgs.models import User

IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one alert of the post."""

    fingerprint: str
    status: str
    alert_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None
    incident_short_id: str | None = None
    """Filled when the intake had the incident in hand (else look it up by `incident_id`)"""
    deduplicated: bool = False
    silenced: bool = False


@dataclass(slots=True)
class Intake:
    session: AsyncSession
    integration: Integration
    now: datetime
    actor: User
    services: dict[str, uuid.UUID] = field(default_factory=dict)
    silences: list[Silence] | None = None
    current: dict[str, AlertRow] = field(default_factory=dict)
    """fingerprint -> its firing alert, else its latest one (kept up to date during the post)"""
    groups: dict[str, Incident] = field(default_factory=dict)
    """group key -> the open incident its alerts join (looked up once per post)"""
    remembered: MutableMapping[tuple[uuid.UUID, str], uuid.UUID] = field(default_factory=dict)
    """(integration, group key) -> the incident its alerts last joined, kept by the caller
    across posts: tried (re-read, locked) before the group's query"""
    new_alerts: list[AlertRow] = field(default_factory=list)
    """the post's new alerts: not added to the session, inserted in one statement at the end"""
    timeline: list[dict[str, Any]] = field(default_factory=list)
    """the post's timeline entries (`timeline.row`), inserted in one statement at the end"""
    ended: dict[uuid.UUID, None] = field(default_factory=dict)
    """the incidents (in order, each once) of the alerts that ended in this post: settled at
    the end"""
    ended_alerts: list[AlertRow] = field(default_factory=list)
    """the alerts that stopped firing in this post (`alert.resolved`, emitted at the end)"""
    no_open_incident: set[str] = field(default_factory=set)
    """group keys found (at the start of the post) to have no open incident"""
    touched: dict[uuid.UUID, AlertRow] = field(default_factory=dict)
    """the stored alerts this post changed: written back at the end (`rows.write_back`)"""

    def firing(self, fingerprint: str) -> AlertRow | None:
        found = self.current.get(fingerprint)
        return found if found is not None and found.status == AlertStatus.FIRING else None


def integration_actor(integration: Integration) -> User:
    """Who acts when an integration opens, mitigates or resolves an incident: a user that is
    never stored (no id), so the incident gets no lead and no acknowledger, and the timeline
    says "Mitigated by integration:<name>"."""
    return User(username=f"integration:{integration.name}")


async def ingest(
    session: AsyncSession,
    integration: Integration,
    alerts: Sequence[AlertIn],
    *,
    now: datetime | None = None,
    locked: bool = False,
    remembered: MutableMapping[tuple[uuid.UUID, str], uuid.UUID] | None = None,
) -> list[Outcome]:
    """Apply one post's alerts; the caller commits (or rolls back) the whole post. `locked`:
    the caller already holds the integration's row lock (and read it under that lock)."""
    if not locked:
        integration = await repository.lock_integration(session, integration.id)
    intake = Intake(session, integration, now or utcnow(), integration_actor(integration))
    if remembered is not None:
        intake.remembered = remembered
    names = {a.service_name for a in alerts if a.service_name}
    intake.services = await repository.services_named(session, names)
    intake.current = await rows.current_alerts(
        session, integration.id, {a.fingerprint for a in alerts}
    )
    await _recall_groups(intake, alerts)
    # Nothing the loop reads depends on its own unflushed rows (the post's alerts are in
    # `intake.current`, its incidents in `intake.groups`): the rows go out in one flush.
    with session.no_autoflush:
        outcomes = [await _one(intake, incoming) for incoming in alerts]
    await session.flush()
    # The stored alerts first: one ended by a new firing stops firing before that one is added.
    stored = [a for a in intake.touched.values() if a.loaded is not None]  # the new: inserted
    await rows.write_back(session, stored, intake.now)
    await rows.insert_rows(session, intake.new_alerts)
    await timeline.insert_rows(session, intake.timeline)
    for incident_id in intake.ended:
        await settle_incident(session, incident_id, integration.resolve_behaviour, intake.actor)
    for ended in intake.ended_alerts:
        await _resolved(session, ended)
    await session.flush()
    short_ids = {i.id: i.short_id for i in intake.groups.values()}
    return [
        replace(o, incident_short_id=short_ids.get(o.incident_id)) if o.incident_id else o
        for o in outcomes
    ]


def _touch(intake: Intake, alert: AlertRow) -> None:
    intake.touched[alert.id] = alert


async def _recall_groups(intake: Intake, alerts: Sequence[AlertIn]) -> None:
    """For the groups the post's new firings may join, in two queries (instead of one or two
    per group as they come): lock the remembered open incidents, and find which of the other
    groups have an open incident at all (`no_open_incident` the others)."""
    wanted: dict[str, uuid.UUID] = {}
    others: set[str] = set()
    for incoming in alerts:
        if incoming.status == AlertStatus.FIRING and intake.firing(incoming.fingerprint) is None:
            service_id = service_of(intake, incoming.service_name)
            key = group_key(intake.integration.grouping_labels, incoming.labels, service_id)
            remembered = intake.remembered.get((intake.integration.id, key))
            if remembered is not None:
                wanted[key] = remembered
            else:
                others.add(key)
    by_id = {i.id: i for i in await repository.lock_incidents(intake.session, wanted.values())}
    for key, incident_id in wanted.items():
        found = by_id.get(incident_id)
        if found is not None and found.status != Status.RESOLVED:
            intake.groups[key] = found
    if others:
        with_one = await repository.groups_with_open_incident(
            intake.session, intake.integration.id, others
        )
        intake.no_open_incident = others - with_one


async def _one(intake: Intake, incoming: AlertIn) -> Outcome:
    current = intake.firing(incoming.fingerprint)
    if incoming.status == AlertStatus.RESOLVED:
        return await _resolution(intake, current, incoming)
    if current is not None:
        if not _new_episode(current, incoming):
            return await _repeat(intake, current, incoming)
        # The source has started a new firing of this alert, so the previous one ended (its
        # resolution never arrived). The new firing joins its group first; the old incident is
        # settled after, and stays open if the new firing went to it.
        _end(intake, current, ended_at=incoming.starts_at)
        return await _new(intake, incoming)
    if incoming.update_only:  # an acknowledgement of an alert that is not firing
        return Outcome(fingerprint=incoming.fingerprint, status=IGNORED)
    latest = intake.current.get(incoming.fingerprint)
    if latest is not None and _same_episode(latest, incoming):
        return await _late(intake, latest)
    return await _new(intake, incoming)


def _new_episode(current: AlertRow, incoming: AlertIn) -> bool:
    return bool(
        incoming.starts_at_is_episode
        and incoming.starts_at is not None
        and current.starts_at is not None
        and incoming.starts_at > current.starts_at
        and not incoming.update_only
    )


def _same_episode(latest: AlertRow, incoming: AlertIn) -> bool:
    return bool(
        incoming.starts_at_is_episode
        and incoming.starts_at is not None
        and latest.starts_at == incoming.starts_at
    )


def _outcome(alert: AlertRow, *, deduplicated: bool) -> Outcome:
    return Outcome(
        fingerprint=alert.fingerprint,
        status=alert.status,
        alert_id=alert.id,
        incident_id=alert.incident_id,
        deduplicated=deduplicated,
        silenced=alert.silenced,
    )


async def _repeat(intake: Intake, alert: AlertRow, incoming: AlertIn) -> Outcome:
    """The same firing again: count it. An alert that opened no incident (silenced, or without
    a service: its `intake_note` says which) gets another chance, since the silence may have
    ended or the service appeared; one whose incident was deleted does not."""
    _touch(intake, alert)
    alert.last_seen = intake.now
    if incoming.acknowledged:
        await _acknowledged_at_source(intake, alert)
    else:
        alert.occurrence_count += 1
        if alert.incident_id is None and alert.intake_note and not alert.is_resolved:
            await place(intake, alert, incoming)
    return _outcome(alert, deduplicated=True)


async def _late(intake: Intake, alert: AlertRow) -> Outcome:
    """A repeat of a firing that already ended (delivered late): counted, nothing reopened."""
    _touch(intake, alert)
    alert.last_seen = intake.now
    alert.occurrence_count += 1
    return _outcome(alert, deduplicated=True)


async def _new(intake: Intake, incoming: AlertIn) -> Outcome:
    session, integration, now = intake.session, intake.integration, intake.now
    alert = AlertRow(
        id=new_id(),
        organization_id=integration.organization_id,
        integration_id=integration.id,
        source=integration.kind,
        fingerprint=incoming.fingerprint,
        group_key="",
        status=AlertStatus.FIRING,
        title=incoming.title,
        description=incoming.description,
        labels=dict(incoming.labels),
        annotations=dict(incoming.annotations),
        severity=incoming.severity,
        starts_at=incoming.starts_at or now,
        first_seen=now,
        last_seen=now,
        occurrence_count=1,
        links=list(incoming.links),
        raw_payload=dict(incoming.raw),
        silenced=False,
        is_resolved=False,
        created_at=now,
        updated_at=now,
    )
    await place(intake, alert, incoming)  # before it is added: inserted with its incident
    intake.new_alerts.append(alert)
    intake.current[alert.fingerprint] = alert
    await emit(session, EventType.ALERT_RECEIVED, lambda: _received(alert))
    await emit(session, EventType.ALERT_CREATED, lambda: _alert_data(alert))
    return _outcome(alert, deduplicated=False)


async def _alert_data(alert: AlertRow) -> dict[str, object]:
    """Seed 002's alert (`name`, `status`, `tags`...) with IMAS's own fields."""
    return {
        "alert": {
            "id": alert.id,
            "name": alert.title,
            "title": alert.title,
            "description": alert.description,
            "severity": alert.severity,
            "status": "resolved" if alert.status == AlertStatus.RESOLVED else "active",
            "source": alert.source,
            "fingerprint": alert.fingerprint,
            "integration_id": alert.integration_id,
            "service_id": alert.service_id,
            "incident_id": alert.incident_id,
            "tags": alert.labels,
            "starts_at": alert.starts_at,
            "ends_at": alert.ends_at,
            "created_at": alert.created_at,
            "updated_at": alert.last_seen,
        }
    }


async def _resolved(session: AsyncSession, alert: AlertRow) -> None:
    await emit(session, EventType.ALERT_RESOLVED, lambda: _alert_data(alert))


async def _received(alert: AlertRow) -> dict[str, object]:
    return {
        "alert": {
            "id": alert.id,
            "fingerprint": alert.fingerprint,
            "title": alert.title,
            "severity": alert.severity,
            "status": alert.status,
            "source": alert.source,
            "integration_id": alert.integration_id,
            "service_id": alert.service_id,
            "incident_id": alert.incident_id,
            "silenced": alert.silenced,
            "labels": alert.labels,
            "starts_at": alert.starts_at,
        }
    }


async def _resolution(intake: Intake, current: AlertRow | None, incoming: AlertIn) -> Outcome:
    if current is None:
        latest = intake.current.get(incoming.fingerprint)
        if latest is None:  # never seen firing: nothing to resolve
            return Outcome(fingerprint=incoming.fingerprint, status=IGNORED)
        _touch(intake, latest)
        latest.last_seen = intake.now  # the resolution again
        return _outcome(latest, deduplicated=True)
    if (
        incoming.starts_at_is_episode
        and incoming.starts_at is not None
        and current.starts_at is not None
        and incoming.starts_at < current.starts_at
    ):  # the end of an earlier firing, delivered late: the current one goes on
        _touch(intake, current)
        current.last_seen = intake.now
        return _outcome(current, deduplicated=True)
    _end(intake, current, ended_at=incoming.ends_at)
    return _outcome(current, deduplicated=False)


def _end(intake: Intake, alert: AlertRow, ended_at: datetime | None) -> None:
    """The source says this firing is over; its incident is settled at the end of the post
    (after every alert of the post has found its incident)."""
    _touch(intake, alert)
    alert.status = AlertStatus.RESOLVED
    alert.ends_at = min(ended_at, intake.now) if ended_at else intake.now
    alert.last_seen = intake.now
    if not alert.is_resolved:
        alert.is_resolved = True
        alert.resolved_at = intake.now
    intake.ended_alerts.append(alert)
    if alert.incident_id is not None:
        intake.ended.setdefault(alert.incident_id)


async def _acknowledged_at_source(intake: Intake, alert: AlertRow) -> None:
    """The tool says a person acknowledged the alert: so is it, and its incident if untouched."""
    if alert.acknowledged_at is None:
        alert.acknowledged_at = intake.now
    if alert.incident_id is None:
        return
    incident = await repository.lock_incident(intake.session, alert.incident_id)
    if incident is not None and incident.status == Status.TRIGGERED:
        await incidents.acknowledge(
            intake.session,
            incident.id,
            intake.actor,
            f"acknowledged in {intake.integration.kind}",
        )
