"""`GET /api/v1/incidents/?format=csv`: the list's selection, streamed from its own session.

The request's session is committed and closed before a streamed body is sent, so the rows are
read through a session of their own, bound to the caller's organization.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from imas.db import Database
from imas.incidents.models import Incident
from imas.incidents.presenters import View
from imas.incidents.sla import priority, sla_status
from imas.repository import stream_in_org


def _iso(value: Any) -> str:
    return value.isoformat().replace("+00:00", "Z") if value else ""


def columns(view: View) -> list[tuple[str, Any]]:
    def sla(i: Incident) -> str:
        targets = view.targets(i.severity)
        return sla_status(targets, i.created_at, i.acknowledged_at, i.resolved_at, view.now).value

    return [
        ("ID", lambda i: i.id),
        ("Short ID", lambda i: i.short_id),
        ("Title", lambda i: i.title),
        ("Severity", lambda i: i.severity),
        ("Priority", lambda i: priority(i.severity, i.service.criticality)),
        ("Status", lambda i: i.status),
        ("Service", lambda i: i.service.name),
        ("Assigned Team", lambda i: i.assigned_team.name if i.assigned_team else ""),
        ("Created", lambda i: _iso(i.created_at)),
        ("Acknowledged", lambda i: _iso(i.acknowledged_at)),
        ("Resolved", lambda i: _iso(i.resolved_at)),
        ("SLA Status", sla),
        ("ITSM Ticket", lambda i: i.itsm_ticket_id or ""),
    ]


def stream(db: Database, org_id: uuid.UUID, stmt: Select[Any]) -> AsyncIterator[Incident]:
    stmt = stmt.options(joinedload(Incident.service), joinedload(Incident.assigned_team))
    return stream_in_org(db, org_id, stmt)
