"""`/api/v1/audit-trail/`: who changed what and when (seed 004's audit trail), as JSON or CSV.

A credential with the `admin` scope sees every event of its organization; one with
`incident:read` sees the events attached to an incident (the incident itself, its comments...).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from imas.api.deps import CurrentPrincipal, SessionDep, get_database
from imas.api.export import csv_response
from imas.api.filtering import split_csv
from imas.api.pagination import Page, PageParams, page_params, paginate
from imas.audit import repository
from imas.audit.models import AuditEvent
from imas.audit.schemas import ActorRef, AuditEventRead
from imas.auth.scopes import ADMIN, INCIDENT_READ
from imas.auth.service import Principal
from imas.db import Database
from imas.repository import stream_in_org
from imas.types import UtcDateTime

router = APIRouter(prefix="/api/v1/audit-trail", tags=["audit"])

_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/csv": {"schema": {"type": "string"}}},
        "description": "A JSON page, or CSV with ?format=csv",
    }
}


async def audit_reader(principal: CurrentPrincipal) -> Principal:
    """`admin`, or at least `incident:read` (403 otherwise)."""
    if ADMIN not in principal.scopes:
        principal.require(INCIDENT_READ)
    return principal


AuditReader = Annotated[Principal, Depends(audit_reader)]


def _incident_only(principal: Principal) -> bool:
    return ADMIN not in principal.scopes


def _read(event: AuditEvent) -> AuditEventRead:
    actor = (
        ActorRef(id=event.actor_id, username=event.actor_name)
        if event.actor_id is not None
        else None
    )
    return AuditEventRead(
        id=event.id,
        timestamp=event.timestamp,
        action=event.action,
        user_name=event.actor_name,
        actor=actor,
        object_type=event.object_type,
        object_id=event.object_id,
        incident_id=event.incident_id,
        request_id=event.request_id,
        before=event.before,
        after=event.after,
        details=event.summary,
    )


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _json(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))


CSV_COLUMNS: list[tuple[str, Any]] = [
    ("ID", lambda e: e.id),
    ("Timestamp", lambda e: _iso(e.timestamp)),
    ("Action", lambda e: e.action),
    ("User", lambda e: e.actor_name),
    ("Object Type", lambda e: e.object_type),
    ("Object ID", lambda e: e.object_id),
    ("Incident ID", lambda e: e.incident_id),
    ("Request ID", lambda e: e.request_id),
    ("Details", lambda e: e.summary),
    ("User ID", lambda e: e.actor_id),
    ("Before", lambda e: _json(e.before)),
    ("After", lambda e: _json(e.after)),
]


@router.get(
    "/",
    response_model=Page[AuditEventRead],
    responses=_CSV,
    summary="The audit trail, newest first (admin: everything; incident:read: incidents only)",
)
async def list_audit_events(
    request: Request,
    session: SessionDep,
    principal: AuditReader,
    pages: Annotated[PageParams, Depends(page_params)],
    db: Annotated[Database, Depends(get_database)],
    incident: Annotated[
        str | None,
        Query(description="Incident id (UUID) or short id (INC-XXXXXX)", max_length=64),
    ] = None,
    ticket_id: Annotated[
        str | None, Query(description="Same as incident (seed 004's name)", max_length=64)
    ] = None,
    actor: Annotated[
        str | None, Query(description="Username or user id of who acted", max_length=150)
    ] = None,
    action: Annotated[
        str | None, Query(description="Exact action, e.g. incident.acknowledged", max_length=80)
    ] = None,
    action__in: Annotated[
        str | None, Query(description="Comma-separated actions", max_length=2000)
    ] = None,
    object_type: Annotated[
        str | None, Query(description="incident, comment, user, api_token...", max_length=50)
    ] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    request_id: Annotated[
        str | None,
        Query(description="Everything one request changed (its X-Request-ID)", max_length=64),
    ] = None,
    timestamp__gte: Annotated[
        UtcDateTime | None, Query(description="ISO 8601; UTC when no offset is given")
    ] = None,
    timestamp__lte: Annotated[
        UtcDateTime | None, Query(description="ISO 8601; UTC when no offset is given")
    ] = None,
    search: Annotated[str | None, Query(description="In the details", max_length=200)] = None,
    ordering: Annotated[
        str | None, Query(description="-timestamp (default), timestamp, action, actor")
    ] = None,
    format_: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Page[AuditEventRead] | Response:
    stmt = repository.filtered(
        incident_only=_incident_only(principal),
        incidents={"incident": incident, "ticket_id": ticket_id},
        actor=actor,
        action=action,
        action_in=split_csv(action__in),
        object_type=object_type,
        object_id=object_id,
        request_id=request_id,
        timestamp_gte=timestamp__gte,
        timestamp_lte=timestamp__lte,
        search=search,
        ordering=ordering,
    )
    if format_ == "csv":
        rows = stream_in_org(db, principal.organization.id, stmt)
        return csv_response(rows, CSV_COLUMNS, "audit_trail.csv")
    return await paginate(session, stmt, pages, request, _read)


@router.get("/{event_id}/", response_model=AuditEventRead, summary="One audit event")
async def get_audit_event(
    event_id: uuid.UUID, session: SessionDep, principal: AuditReader
) -> AuditEventRead:
    event = await repository.get(session, event_id, incident_only=_incident_only(principal))
    return _read(event)
