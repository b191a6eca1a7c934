"""`/api/v1/alerts/`: what the integrations received (seeds: etl-platform, opssight-devops)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from imas.alerts import presenters, repository, service
from imas.alerts.deps import Reader, Responder
from imas.alerts.schemas import AlertAcknowledged, AlertDetail, AlertRead, AlertUpdate
from imas.api.deps import SessionDep
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.catalog.schemas.common import UserRef
from imas.incidents.schemas import SeverityIn
from imas.types import UtcDateTime

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


@router.get("/", response_model=Page[AlertRead], summary="List alerts")
async def list_alerts(
    request: Request,
    session: SessionDep,
    principal: Reader,
    pages: Annotated[PageParams, Depends(page_params)],
    status_: Annotated[
        str | None, Query(alias="status", description="firing, resolved (comma-separated)")
    ] = None,
    severity: Annotated[list[SeverityIn] | None, Query()] = None,
    level: Annotated[
        str | None,
        Query(
            max_length=100, description="Seed 003: info, warning, error, critical (comma-separated)"
        ),
    ] = None,
    alert_type: Annotated[
        str | None,
        Query(
            max_length=500,
            description="The `alert_type` label (pipeline_failed), else the source kind "
            "(comma-separated)",
        ),
    ] = None,
    pipeline_run: Annotated[
        str | None,
        Query(max_length=4000, description="The failed pipeline run's id (comma-separated)"),
    ] = None,
    source: Annotated[str | None, Query(max_length=30, description="The source kind")] = None,
    service_: Annotated[
        str | None, Query(alias="service", max_length=100, description="Service id or name")
    ] = None,
    incident: Annotated[
        str | None, Query(max_length=64, description="Incident id or short id")
    ] = None,
    integration: Annotated[uuid.UUID | None, Query()] = None,
    is_resolved: Annotated[bool | None, Query()] = None,
    silenced: Annotated[bool | None, Query()] = None,
    search: Annotated[str | None, Query(description="In title or fingerprint")] = None,
    created_at__gte: Annotated[UtcDateTime | None, Query(description="UTC if no offset")] = None,
    created_at__lte: Annotated[UtcDateTime | None, Query(description="UTC if no offset")] = None,
    ordering: Annotated[
        str | None,
        Query(description="-created_at (default), last_seen, severity, occurrence_count..."),
    ] = None,
) -> Page[AlertRead]:
    stmt = repository.alerts(
        status=status_,
        severity=[s.value for s in severity] if severity else None,
        level=level,
        alert_type=alert_type,
        pipeline_run=pipeline_run,
        source=source,
        service=service_,
        incident=incident,
        integration=integration,
        is_resolved=is_resolved,
        silenced=silenced,
        search=search,
        created_at_gte=created_at__gte,
        created_at_lte=created_at__lte,
        ordering=ordering,
    ).options(*repository.ALERT_LIST_LOAD)
    return await paginate(session, stmt, pages, request, presenters.alert)


@router.get("/{alert_id}/", response_model=AlertDetail, summary="An alert, with its raw payload")
async def get_alert(alert_id: uuid.UUID, session: SessionDep, principal: Reader) -> AlertDetail:
    return presenters.alert_detail(await service.get_alert(session, alert_id))


@router.post(
    "/{alert_id}/acknowledge/", response_model=AlertAcknowledged, summary="Acknowledge an alert"
)
async def acknowledge_alert(
    alert_id: uuid.UUID, session: SessionDep, principal: Responder
) -> AlertAcknowledged:
    await service.get_alert(session, alert_id)  # 404 before anything is locked
    alert = await service.acknowledge(session, alert_id, principal.user)
    assert alert.acknowledged_at is not None
    return AlertAcknowledged(
        id=alert.id,
        message="Alert acknowledged successfully",
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=UserRef.model_validate(principal.user),
    )


@router.patch(
    "/{alert_id}/",
    response_model=AlertDetail,
    summary="Resolve an alert (is_resolved, resolution_note)",
)
async def update_alert(
    alert_id: uuid.UUID, data: AlertUpdate, session: SessionDep, principal: Responder
) -> AlertDetail:
    await service.get_alert(session, alert_id)
    await service.update_alert(session, alert_id, principal.user, data)
    return presenters.alert_detail(await service.get_alert(session, alert_id))
