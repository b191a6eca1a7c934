"""`/api/v1/incidents/`: list (JSON or CSV), create, detail, update, delete."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from imas.api.deps import SessionDep, get_database
from imas.api.export import csv_response
from imas.api.pagination import MAX_INT, Page, PageParams, page_params, paginate
from imas.db import Database
from imas.incidents import export, presenters, repository, service
from imas.incidents.deps import Deleter, IncidentId, IncidentRef, Reader, ViewDep, Writer
from imas.incidents.schemas import (
    Deleted,
    IncidentCreate,
    IncidentCreated,
    IncidentDetail,
    IncidentListItem,
    IncidentUpdate,
    SeverityIn,
)
from imas.rca import service as rca
from imas.types import UtcDateTime

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "A JSON page, or CSV with ?format=csv",
    }
}


@router.get("/", response_model=Page[IncidentListItem], responses=_CSV, summary="List incidents")
async def list_incidents(
    request: Request,
    session: SessionDep,
    principal: Reader,
    view: ViewDep,
    pages: Annotated[PageParams, Depends(page_params)],
    db: Annotated[Database, Depends(get_database)],
    status_: Annotated[
        str | None,
        Query(
            alias="status",
            description="triggered, acknowledged, mitigated, resolved (comma-separated)",
        ),
    ] = None,
    severity: Annotated[list[SeverityIn] | None, Query()] = None,
    service_: Annotated[uuid.UUID | None, Query(alias="service")] = None,
    assigned_team: Annotated[str | None, Query(description="Team id or name")] = None,
    tag: Annotated[str | None, Query(description="Tag name")] = None,
    search: Annotated[str | None, Query(description="In title and description")] = None,
    created_at__gte: Annotated[UtcDateTime | None, Query(description="UTC if no offset")] = None,
    created_at__lte: Annotated[UtcDateTime | None, Query(description="UTC if no offset")] = None,
    remediation_status: Annotated[
        str | None,
        Query(
            description="in_progress, succeeded, applied_not_solved, failed (comma-separated): "
            "`applied_not_solved` lists the incidents auto-remediation could not fix",
            max_length=200,
        ),
    ] = None,
    remediation_attempts__gte: Annotated[int | None, Query(ge=0, le=MAX_INT)] = None,
    ordering: Annotated[
        str | None,
        Query(description="-created_at (default), severity, status, updated_at, title..."),
    ] = None,
    format_: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Page[IncidentListItem] | Response:
    stmt = repository.filtered(
        status=status_,
        severity=[s.value for s in severity] if severity else None,
        service=service_,
        assigned_team=assigned_team,
        tag=tag,
        search=search,
        created_at_gte=created_at__gte,
        created_at_lte=created_at__lte,
        remediation_status=remediation_status,
        remediation_attempts_gte=remediation_attempts__gte,
        ordering=ordering,
    )
    if format_ == "csv":
        rows = export.stream(db, principal.organization.id, stmt)
        return csv_response(rows, export.columns(view), "incidents.csv")
    stmt = stmt.options(*repository.LIST_OPTIONS)
    return await paginate(session, stmt, pages, request, lambda i: presenters.list_item(i, view))


@router.post(
    "/",
    response_model=IncidentCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Open an incident",
)
async def create_incident(
    data: IncidentCreate, session: SessionDep, principal: Writer, view: ViewDep
) -> IncidentCreated:
    incident = await service.create_incident(session, principal.user, data)
    fresh = await repository.get(session, str(incident.id), fresh=True)
    return IncidentCreated(**presenters.detail(fresh, view).model_dump())


@router.get(
    "/{incident}/", response_model=IncidentDetail, summary="An incident with its KPIs and timeline"
)
async def get_incident(
    incident: IncidentRef, session: SessionDep, _: Reader, view: ViewDep
) -> IncidentDetail:
    found = presenters.detail(await repository.get(session, incident), view)
    analysis = await rca.latest(session, found.id)
    found.ai_analysis = analysis.result if analysis is not None else None
    return found


async def _update(
    incident_id: uuid.UUID,
    data: IncidentUpdate,
    session: SessionDep,
    principal: Writer,
    view: ViewDep,
) -> IncidentDetail:
    await service.update_incident(session, incident_id, principal.user, data)
    return presenters.detail(await repository.get(session, str(incident_id), fresh=True), view)


@router.patch("/{incident}/", response_model=IncidentDetail, summary="Change some fields")
async def patch_incident(
    incident_id: IncidentId,
    data: IncidentUpdate,
    session: SessionDep,
    principal: Writer,
    view: ViewDep,
) -> IncidentDetail:
    return await _update(incident_id, data, session, principal, view)


@router.put(
    "/{incident}/", response_model=IncidentDetail, summary="Change the fields given (same as PATCH)"
)
async def put_incident(
    incident_id: IncidentId,
    data: IncidentUpdate,
    session: SessionDep,
    principal: Writer,
    view: ViewDep,
) -> IncidentDetail:
    return await _update(incident_id, data, session, principal, view)


@router.delete(
    "/{incident}/", response_model=Deleted, summary="Delete an incident (incident:delete)"
)
async def delete_incident(incident: IncidentRef, session: SessionDep, _: Deleter) -> Deleted:
    found = await repository.get(session, incident, options=())
    await service.delete_incident(session, found)
    return Deleted(message="Incident deleted successfully")
