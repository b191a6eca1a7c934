"""What people do to an alert: acknowledge it, resolve it (or take the resolution back)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts import repository
from imas.alerts.exceptions import AlertAlreadyAcknowledged, AlertResolvedAtSource
from imas.alerts.models import Alert, AlertStatus
from imas.alerts.schemas import AlertUpdate
from imas.alerts.service.placement import settle_incident
from imas.db import utcnow
from imas.errors import NotFound
from imas.orgs.models import User


async def get_alert(session: AsyncSession, ident: uuid.UUID | str) -> Alert:
    """The alert with what its detail shows, read afresh (404 outside the organization)."""
    found = await repository.alert(session, _uuid(ident))
    if found is None:
        raise NotFound.of("alert", ident)
    return found


def _uuid(ident: uuid.UUID | str) -> uuid.UUID:
    if isinstance(ident, uuid.UUID):
        return ident
    try:
        return uuid.UUID(ident)
    except ValueError:
        raise NotFound.of("alert", ident) from None


async def _locked(session: AsyncSession, alert_id: uuid.UUID) -> Alert:
    alert = await repository.lock_alert(session, alert_id)
    if alert is None:
        raise NotFound.of("alert", alert_id)
    return alert


async def acknowledge(session: AsyncSession, alert_id: uuid.UUID, actor: User) -> Alert:
    """Mark the alert seen by `actor` (409 if it already was); its incident is untouched."""
    alert = await _locked(session, alert_id)
    if alert.acknowledged_at is not None:
        raise AlertAlreadyAcknowledged(
            f"Alert {alert.id} was already acknowledged.",
            details={"acknowledged_at": alert.acknowledged_at.isoformat().replace("+00:00", "Z")},
        )
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by_id = actor.id
    await session.flush()
    return alert


async def update_alert(
    session: AsyncSession, alert_id: uuid.UUID, actor: User, data: AlertUpdate
) -> Alert:
    """`is_resolved: true` resolves the alert in IMAS (its source may still say firing; repeats
    then only count). Once no alert of its incident is unresolved, the incident is mitigated or
    resolved as the alert's integration says. `is_resolved: false` takes back a resolution made
    in IMAS; refused (409) once the source itself has resolved the alert."""
    given = data.model_fields_set
    # Locks in the intake's order (integration, then alert, then incident), so a person and a
    # post resolving alerts of one incident at the same moment wait for each other instead of
    # deadlocking.
    integration_id = await repository.integration_of_alert(session, alert_id)
    if integration_id is None:
        raise NotFound.of("alert", alert_id)
    integration = await repository.lock_integration(session, integration_id)
    alert = await _locked(session, alert_id)
    if "resolution_note" in given:
        alert.resolution_note = data.resolution_note
    if data.is_resolved is True and not alert.is_resolved:
        alert.is_resolved = True
        alert.resolved_at = utcnow()
        alert.resolved_by_id = actor.id
        await session.flush()
        await settle_incident(session, alert.incident_id, integration.resolve_behaviour, actor)
    elif data.is_resolved is False and alert.is_resolved:
        if alert.status == AlertStatus.RESOLVED:
            raise AlertResolvedAtSource(
                f"Alert {alert.id} was resolved by its source; its next firing will be a new "
                "alert.",
                details={"status": alert.status},
            )
        alert.is_resolved = False
        alert.resolved_at = None
        alert.resolved_by_id = None
    await session.flush()
    return alert
