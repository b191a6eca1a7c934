"""`/services`, `/teams` (with who is on call, where IMAS knows it) and `/alerts`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from imas.alerts import presenters as alert_presenters
from imas.alerts import repository as alert_repository
from imas.alerts.models import AlertStatus
from imas.api.deps import SessionDep
from imas.api.pagination import PageParams, paginate
from imas.catalog import repository as catalog
from imas.catalog.models import Service, Team
from imas.catalog.schemas.teams import TeamRead
from imas.catalog.service import teams as team_service
from imas.incidents.models import Severity
from imas.web.deps import ViewerDep
from imas.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute)

ALERT_PAGE_SIZE = 25
ALERT_STATUS_CHOICES = [("", "Any status"), *((s.value, s.value.capitalize()) for s in AlertStatus)]
SEVERITY_CHOICES = [("", "Any severity"), *((s.value, s.value.replace("_", " ")) for s in Severity)]


async def _teams(session: AsyncSession) -> list[TeamRead]:
    """Every team, with `current_on_call` from its schedule where on-call scheduling exists."""
    rows = (await session.scalars(catalog.teams().order_by(Team.name, Team.id))).all()
    reads = [TeamRead.of(team) for team in rows]
    from_schedules = getattr(team_service, "on_call_from_schedules", None)
    if from_schedules is not None:
        await from_schedules(session, reads)
    return reads


@router.get("/services")
async def services(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    rows: Sequence[Service] = (
        await session.scalars(catalog.services().order_by(Service.name, Service.id))
    ).all()
    teams: dict[uuid.UUID, TeamRead] = {team.id: team for team in await _teams(session)}
    items = [{"service": s, "team": teams.get(s.owner_team_id or uuid.UUID(int=0))} for s in rows]
    return render(request, "services.html", viewer.context(nav="services", items=items))


@router.get("/teams")
async def teams(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    return render(request, "teams.html", viewer.context(nav="teams", teams=await _teams(session)))


def _choice(raw: str | None, choices: list[tuple[str, str]]) -> str:
    return raw if raw in dict(choices) and raw else ""


@router.get("/alerts")
async def alerts(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    query = request.query_params
    filters = {
        "status": _choice(query.get("status"), ALERT_STATUS_CHOICES),
        "severity": _choice(query.get("severity"), SEVERITY_CHOICES),
    }
    try:
        number = max(1, int(query.get("page") or 1))
    except ValueError:
        number = 1
    stmt = alert_repository.alerts(
        status=filters["status"] or None,
        severity=[filters["severity"]] if filters["severity"] else None,
    ).options(*alert_repository.ALERT_LIST_LOAD)
    page = await paginate(
        session,
        stmt,
        PageParams(page=number, page_size=ALERT_PAGE_SIZE),
        request,
        alert_presenters.alert,
    )
    context: dict[str, Any] = {
        "page": page,
        "page_number": number,
        "page_size": ALERT_PAGE_SIZE,
        "filters": filters,
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "status_choices": ALERT_STATUS_CHOICES,
        "severity_choices": SEVERITY_CHOICES,
    }
    return render(request, "alerts.html", viewer.context(nav="alerts", **context))
