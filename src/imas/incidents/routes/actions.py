"""Lifecycle actions: acknowledge, mitigate, resolve, reopen."""

from __future__ import annotations

from fastapi import APIRouter

from imas.api.deps import SessionDep
from imas.incidents import presenters, repository, service
from imas.incidents.deps import IncidentId, Writer
from imas.incidents.models import Incident
from imas.incidents.schemas import (
    AcknowledgeRequest,
    AcknowledgeResult,
    ResolveRequest,
    ResolveResult,
    TransitionRequest,
    TransitionResult,
)

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


async def _reload(session: SessionDep, incident: Incident) -> Incident:
    return await repository.get(session, str(incident.id), fresh=True)


@router.post("/{incident}/acknowledge/", response_model=AcknowledgeResult, summary="Acknowledge")
async def acknowledge(
    incident_id: IncidentId,
    session: SessionDep,
    principal: Writer,
    data: AcknowledgeRequest | None = None,
) -> AcknowledgeResult:
    message = data.message if data else None
    incident = await _reload(
        session, await service.acknowledge(session, incident_id, principal.user, message)
    )
    return AcknowledgeResult(
        id=incident.id,
        short_id=incident.short_id,
        status=incident.status,
        acknowledged_at=incident.acknowledged_at,
        acknowledged_by=presenters.user_ref(incident.acknowledged_by),
        message="Incident acknowledged successfully",
    )


@router.post(
    "/{incident}/mitigate/", response_model=TransitionResult, summary="Mark the impact as stopped"
)
async def mitigate(
    incident_id: IncidentId,
    session: SessionDep,
    principal: Writer,
    data: TransitionRequest | None = None,
) -> TransitionResult:
    incident = await service.mitigate(
        session, incident_id, principal.user, data.message if data else None
    )
    return TransitionResult(
        id=incident.id,
        short_id=incident.short_id,
        status=incident.status,
        mitigated_at=incident.mitigated_at,
        message="Incident mitigated successfully",
    )


@router.post("/{incident}/resolve/", response_model=ResolveResult, summary="Resolve")
async def resolve(
    incident_id: IncidentId,
    session: SessionDep,
    principal: Writer,
    data: ResolveRequest | None = None,
) -> ResolveResult:
    data = data or ResolveRequest()
    incident = await service.resolve(
        session, incident_id, principal.user, data.resolution_note, data.root_cause
    )
    incident = await _reload(session, incident)
    return ResolveResult(
        id=incident.id,
        short_id=incident.short_id,
        status=incident.status,
        resolved_at=incident.resolved_at,
        resolved_by=presenters.user_ref(incident.resolved_by),
        kpis=presenters.kpis(incident),
        message="Incident resolved successfully",
    )


@router.post(
    "/{incident}/reopen/", response_model=TransitionResult, summary="Reopen a resolved incident"
)
async def reopen(
    incident_id: IncidentId,
    session: SessionDep,
    principal: Writer,
    data: TransitionRequest | None = None,
) -> TransitionResult:
    incident = await service.reopen(
        session, incident_id, principal.user, data.message if data else None
    )
    return TransitionResult(
        id=incident.id,
        short_id=incident.short_id,
        status=incident.status,
        mitigated_at=incident.mitigated_at,
        message="Incident reopened",
    )
