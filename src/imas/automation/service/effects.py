"""What a run does to its incident: timeline entries, `remediation_status` and
`remediation_attempts`, REMEDIATION_* events, and resolving it when a remediation worked.
Dry runs touch no incident."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation.models import RemediationStatus, Run, RunStatus
from imas.automation.service import live
from imas.db import utcnow
from imas.events import EventType, emit
from imas.events import incidents as incident_events
from imas.incidents import repository as incidents
from imas.incidents import service as incident_service
from imas.incidents.models import Incident, Status, TimelineType
from imas.incidents.service import timeline
from imas.integrations.common import integration_actor

AUTOMATION = "automation"
"""Who acts when a remediation resolves an incident (a name, not a stored user)."""


async def _incident(session: AsyncSession, run: Run) -> Incident | None:
    """The run's incident: as this transaction already has it (the alert intake holds it
    locked, with changes not yet flushed that a re-read would lose), else read under a lock."""
    if run.incident_id is None or run.dry_run:
        return None
    key = session.sync_session.identity_key(Incident, run.incident_id)
    held = session.sync_session.identity_map.get(key)
    if isinstance(held, Incident):
        return held
    return await incidents.lock(session, run.incident_id)


async def note(session: AsyncSession, run: Run, message: str, **data: Any) -> None:
    incident = await _incident(session, run)
    if incident is not None:
        await note_incident(
            session, incident, message, run_id=str(run.id), action=run.action, **data
        )


async def note_incident(
    session: AsyncSession, incident: Incident, message: str, **data: Any
) -> None:
    timeline.record(session, incident, TimelineType.REMEDIATION, message, None, **data)
    await session.flush()


async def started(session: AsyncSession, run: Run) -> None:
    incident = await _incident(session, run)
    if incident is None:
        return
    incident.remediation_status = RemediationStatus.IN_PROGRESS
    incident.remediation_attempts = run.attempt
    await note(
        session, run, f"Remediation {run.action}: attempt {run.attempt} of {run.max_retries}"
    )
    if run.attempt == 1 and not run.state.get("confirmed_by"):
        await _emit(session, EventType.REMEDIATION_STARTED, run, incident)


async def succeeded(session: AsyncSession, run: Run, details: dict[str, Any]) -> None:
    run.status = RunStatus.SUCCEEDED
    run.result = details
    run.error = None
    run.finished_at = utcnow()
    incident = await _incident(session, run)
    if incident is None:
        return
    incident.remediation_status = RemediationStatus.SUCCEEDED
    incident.remediation_attempts = run.attempt
    await note(
        session, run, f"Remediation {run.action} succeeded (attempt {run.attempt})", success=True
    )
    await _emit(session, EventType.REMEDIATION_SUCCEEDED, run, incident)
    if run.resolve_incident and incident.status != Status.RESOLVED:
        await incident_service.resolve(
            session,
            incident.id,
            integration_actor(AUTOMATION),
            resolution_note=f"Fixed by automated remediation {run.action} (attempt {run.attempt})",
        )


async def failed(session: AsyncSession, run: Run, error: str) -> None:
    """Every attempt failed: the incident stays open and its escalation goes on."""
    run.status = RunStatus.FAILED
    run.error = error
    run.finished_at = utcnow()
    incident = await _incident(session, run)
    if incident is None:
        return
    incident.remediation_status = RemediationStatus.APPLIED_NOT_SOLVED
    incident.remediation_attempts = run.attempt
    await note(
        session,
        run,
        f"Remediation {run.action} failed after {run.attempt} attempt(s): {error}; "
        "manual intervention required",
        success=False,
    )
    await _emit(session, EventType.REMEDIATION_FAILED, run, incident)


async def cancelled(session: AsyncSession, run: Run, by: str) -> None:
    was_started = run.started_at is not None
    run.status = RunStatus.CANCELLED
    run.finished_at = utcnow()
    run.step += 1  # any job still queued for it finds the run moved on
    live.publish_status(session, run)
    incident = await _incident(session, run)
    if incident is None:
        return
    await note(session, run, f"Remediation {run.action} cancelled by {by}")
    if was_started:
        incident.remediation_status = RemediationStatus.FAILED
        await _emit(session, EventType.REMEDIATION_FAILED, run, incident)


async def _emit(session: AsyncSession, kind: EventType, run: Run, incident: Incident) -> None:
    await session.flush()

    async def data() -> dict[str, Any]:
        body = await incident_events.payload(session, incident, None)
        return {
            **body,
            "remediation_status": incident.remediation_status,
            "remediation_attempts": incident.remediation_attempts,
            "run": {
                "id": str(run.id),
                "action": run.action,
                "status": run.status,
                "trigger": run.trigger,
                "attempt": run.attempt,
                "max_retries": run.max_retries,
                "error": run.error,
            },
        }

    await emit(session, kind, data)
