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
(a person resolving an alert takes the same lock first: `service.alerts.update_alert`). The
unique index on firing fingerprints (`uq_alerts_open_fingerprint`) backs this up: an insert that
loses a race re-reads the winner's alert and counts on it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts import repository
from imas.alerts.matchers import all_match
from imas.alerts.models import Alert, AlertStatus, Integration, ResolveBehaviour, Silence
from imas.alerts.sources.base import AlertIn
from imas.db import is_unique_violation, utcnow
from imas.incidents import service as incidents
from imas.incidents.exceptions import IncidentAlreadyExists
from imas.incidents.models import Incident, Status, TimelineType
from imas.incidents.schemas import IncidentCreate
from imas.incidents.service import timeline
from imas.orgs.models import User

INCIDENT_TITLE_MAX = 200
INCIDENT_DESCRIPTION_MAX = 20_000
IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one alert of the post."""

    fingerprint: str
    status: str
    alert_id: uuid.UUID | None = None
    incident_id: uuid.UUID | None = None
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
) -> list[Outcome]:
    """Apply one post's alerts; the caller commits (or rolls back) the whole post."""
    integration = await repository.lock_integration(session, integration.id)
    intake = Intake(session, integration, now or utcnow(), integration_actor(integration))
    names = {a.service_name for a in alerts if a.service_name}
    intake.services = await repository.services_named(session, names)
    return [await _one(intake, incoming) for incoming in alerts]


async def _one(intake: Intake, incoming: AlertIn) -> Outcome:
    session, integration = intake.session, intake.integration
    current = await repository.open_alert(session, integration.id, incoming.fingerprint)
    if incoming.status == AlertStatus.RESOLVED:
        return await _resolution(intake, current, incoming)
    if current is not None:
        if not _new_episode(current, incoming):
            return await _repeat(intake, current, incoming)
        # The source has started a new firing of this alert, so the previous one ended (its
        # resolution never arrived). The new firing joins its group first; the old incident is
        # settled after, and stays open if the new firing went to it.
        await _end(intake, current, ended_at=incoming.starts_at, settle=False)
        outcome = await _new(intake, incoming)
        await settle_incident(session, current, integration.resolve_behaviour, intake.actor)
        return outcome
    if incoming.update_only:  # an acknowledgement of an alert that is not firing
        return Outcome(fingerprint=incoming.fingerprint, status=IGNORED)
    latest = await repository.latest_alert(session, integration.id, incoming.fingerprint)
    if latest is not None and _same_episode(latest, incoming):
        return await _late(intake, latest)
    return await _new(intake, incoming)


def _new_episode(current: Alert, incoming: AlertIn) -> bool:
    return bool(
        incoming.starts_at_is_episode
        and incoming.starts_at is not None
        and current.starts_at is not None
        and incoming.starts_at > current.starts_at
        and not incoming.update_only
    )


def _same_episode(latest: Alert, incoming: AlertIn) -> bool:
    return bool(
        incoming.starts_at_is_episode
        and incoming.starts_at is not None
        and latest.starts_at == incoming.starts_at
    )


def _outcome(alert: Alert, *, deduplicated: bool) -> Outcome:
    return Outcome(
        fingerprint=alert.fingerprint,
        status=alert.status,
        alert_id=alert.id,
        incident_id=alert.incident_id,
        deduplicated=deduplicated,
        silenced=alert.silenced,
    )


async def _repeat(intake: Intake, alert: Alert, incoming: AlertIn) -> Outcome:
    """The same firing again: count it. An alert that opened no incident (silenced, or without
    a service: its `intake_note` says which) gets another chance, since the silence may have
    ended or the service appeared; one whose incident was deleted does not."""
    alert.last_seen = intake.now
    if incoming.acknowledged:
        await _acknowledged_at_source(intake, alert)
    else:
        alert.occurrence_count += 1
        if alert.incident_id is None and alert.intake_note and not alert.is_resolved:
            await _place(intake, alert, incoming)
    await intake.session.flush()
    return _outcome(alert, deduplicated=True)


async def _late(intake: Intake, alert: Alert) -> Outcome:
    """A repeat of a firing that already ended (delivered late): counted, nothing reopened."""
    alert.last_seen = intake.now
    alert.occurrence_count += 1
    await intake.session.flush()
    return _outcome(alert, deduplicated=True)


async def _new(intake: Intake, incoming: AlertIn) -> Outcome:
    session, integration, now = intake.session, intake.integration, intake.now
    alert = Alert(
        id=uuid.uuid4(),
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
    try:
        async with session.begin_nested():
            session.add(alert)
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        winner = await repository.open_alert(session, integration.id, incoming.fingerprint)
        if winner is None:
            raise
        return await _repeat(intake, winner, incoming)
    await _place(intake, alert, incoming)
    await session.flush()
    return _outcome(alert, deduplicated=False)


async def _place(intake: Intake, alert: Alert, incoming: AlertIn) -> None:
    """Silence the alert, or say why it has no incident, or attach it to one."""
    integration = intake.integration
    if alert.service_id is None:
        alert.service_id = _service_id(intake, incoming.service_name)
    alert.group_key = group_key(integration.grouping_labels, alert.labels, alert.service_id)
    silence = await _silence_for(intake, alert)
    if silence is not None:
        alert.silenced = True
        alert.silence_id = silence.id
        alert.intake_note = (
            f"Silenced until {silence.ends_at.isoformat().replace('+00:00', 'Z')}: no incident."
        )
        return
    alert.silenced = False
    alert.silence_id = None
    if alert.service_id is None:
        label = _service_label(integration)
        named = f" ('{incoming.service_name}')" if incoming.service_name else ""
        alert.intake_note = (
            f"No incident: the alert's {label}{named} names none of this organization's "
            f"services and integration '{integration.name}' has no default service."
        )
        return
    incident, opened = await _incident_for(intake, alert)
    alert.incident_id = incident.id
    alert.intake_note = None
    timeline.record(
        intake.session,
        incident,
        TimelineType.ALERT_ATTACHED,
        f"{'Opened by' if opened else 'Alert attached'}: {alert.title} "
        f"({integration.kind} '{integration.name}')",
        None,
        alert_id=str(alert.id),
        fingerprint=alert.fingerprint,
        integration_id=str(integration.id),
        source=integration.kind,
        opened=opened,
    )


def _service_label(integration: Integration) -> str:
    option = (integration.options or {}).get("service_label")
    return f"label '{option if isinstance(option, str) and option else 'service'}'"


def _service_id(intake: Intake, name: str | None) -> uuid.UUID | None:
    if name:
        found = intake.services.get(name) or intake.services.get(name.lower())
        if found is not None:
            return found
    return intake.integration.default_service_id


def group_key(
    labels_used: Sequence[str], labels: dict[str, object], service_id: uuid.UUID | None
) -> str:
    """The hash of the grouping labels' values; `service` is the resolved service."""
    values = {
        name: str(service_id or "") if name == "service" else str(labels.get(name, ""))
        for name in labels_used
    }
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _silence_for(intake: Intake, alert: Alert) -> Silence | None:
    if intake.silences is None:
        intake.silences = await repository.active_silences(intake.session, intake.now)
    labels = {k: str(v) for k, v in alert.labels.items()}
    for silence in intake.silences:
        if all_match(silence.matchers, labels):
            return silence
    return None


async def _incident_for(intake: Intake, alert: Alert) -> tuple[Incident, bool]:
    """The open incident of the alert's group, else a new one; `True` when it is new."""
    session, integration = intake.session, intake.integration
    grouped = await repository.open_incident_of_group(session, integration.id, alert.group_key)
    if grouped is not None:
        locked = await repository.lock_incident(session, grouped.id)
        if locked is not None and locked.status != Status.RESOLVED:
            return locked, False
    assert alert.service_id is not None
    data = IncidentCreate(
        title=_cut(alert.title, INCIDENT_TITLE_MAX),
        description=_cut(alert.description, INCIDENT_DESCRIPTION_MAX),
        service=alert.service_id,
        severity=alert.severity,
        detected_at=min(alert.starts_at, intake.now) if alert.starts_at else intake.now,
    )
    try:
        return await incidents.create_incident(session, intake.actor, data), True
    except IncidentAlreadyExists as exc:
        # An open incident of the same service and title (opened by hand, or by another
        # integration): the alert belongs with it.
        existing = await repository.lock_incident(session, uuid.UUID(exc.details["incident_id"]))
        if existing is None:
            raise
        return existing, False


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


async def _resolution(intake: Intake, current: Alert | None, incoming: AlertIn) -> Outcome:
    if current is None:
        latest = await repository.latest_alert(
            intake.session, intake.integration.id, incoming.fingerprint
        )
        if latest is None:  # never seen firing: nothing to resolve
            return Outcome(fingerprint=incoming.fingerprint, status=IGNORED)
        latest.last_seen = intake.now  # the resolution again
        await intake.session.flush()
        return _outcome(latest, deduplicated=True)
    if (
        incoming.starts_at_is_episode
        and incoming.starts_at is not None
        and current.starts_at is not None
        and incoming.starts_at < current.starts_at
    ):  # the end of an earlier firing, delivered late: the current one goes on
        current.last_seen = intake.now
        await intake.session.flush()
        return _outcome(current, deduplicated=True)
    await _end(intake, current, ended_at=incoming.ends_at)
    return _outcome(current, deduplicated=False)


async def _end(
    intake: Intake, alert: Alert, ended_at: datetime | None, *, settle: bool = True
) -> None:
    """The source says this firing is over."""
    alert.status = AlertStatus.RESOLVED
    alert.ends_at = min(ended_at, intake.now) if ended_at else intake.now
    alert.last_seen = intake.now
    if not alert.is_resolved:
        alert.is_resolved = True
        alert.resolved_at = intake.now
    await intake.session.flush()
    if settle:
        await settle_incident(
            intake.session, alert, intake.integration.resolve_behaviour, intake.actor
        )


async def settle_incident(
    session: AsyncSession, alert: Alert, behaviour: str, actor: User
) -> Incident | None:
    """Once no alert of `alert`'s incident is unresolved, mitigate (or resolve) the incident;
    one already at (or past) that state is left as it is."""
    if alert.incident_id is None:
        return None
    incident = await repository.lock_incident(session, alert.incident_id)
    if incident is None or await repository.unresolved_alerts_of(session, incident.id):
        return incident
    note = "every alert of the incident is resolved"
    if behaviour == ResolveBehaviour.RESOLVE and incident.status != Status.RESOLVED:
        return await incidents.resolve(session, incident.id, actor, resolution_note=note)
    if behaviour == ResolveBehaviour.MITIGATE and incident.status in (
        Status.TRIGGERED,
        Status.ACKNOWLEDGED,
    ):
        return await incidents.mitigate(session, incident.id, actor, note)
    return incident


async def _acknowledged_at_source(intake: Intake, alert: Alert) -> None:
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
