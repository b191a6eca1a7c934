"""`/incidents`: the list (filters, pages, live), an incident's page, its actions and comments.

The pages read through the incident repository and act through the incident service, on a
session bound to the viewer's organization, exactly like `/api/v1/incidents/`.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from imas.api.deps import SessionDep
from imas.api.pagination import PageParams, paginate
from imas.auth.scopes import INCIDENT_WRITE
from imas.catalog import repository as catalog
from imas.catalog.models import Service
from imas.errors import Conflict, NotFound, ValidationFailed
from imas.incidents import presenters, repository, service
from imas.incidents.models import Severity, Status
from imas.incidents.presenters import View
from imas.incidents.schemas import CommentCreate
from imas.web.deps import ViewerDep
from imas.web.pages import PageRoute, render

router = APIRouter(route_class=PageRoute)

PAGE_SIZE = 25
OPEN = "triggered,acknowledged,mitigated"
STATUS_CHOICES = [
    ("", "Any status"),
    (OPEN, "Open"),
    *((s.value.lower(), s.value.capitalize()) for s in Status),
]
SEVERITY_CHOICES = [("", "Any severity"), *((s.value, s.value.replace("_", " ")) for s in Severity)]
_ERRORS = {
    "transition": "That change is not possible from the incident's current status.",
    "comment": "A comment needs some text (at most 20,000 characters).",
}


def _page_number(raw: str | None) -> int:
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def _filters(request: Request) -> dict[str, str]:
    query = request.query_params
    values = {name: query.get(name, "").strip() for name in ("status", "severity", "service", "q")}
    if values["status"] not in dict(STATUS_CHOICES):
        values["status"] = ""
    if values["severity"] not in dict(SEVERITY_CHOICES):
        values["severity"] = ""
    try:
        values["service"] = str(uuid.UUID(values["service"])) if values["service"] else ""
    except ValueError:
        values["service"] = ""
    return values


async def _list_context(request: Request, session: AsyncSession) -> dict[str, Any]:
    filters = _filters(request)
    stmt = repository.filtered(
        status=filters["status"] or None,
        severity=[filters["severity"]] if filters["severity"] else None,
        service=uuid.UUID(filters["service"]) if filters["service"] else None,
        search=filters["q"] or None,
    ).options(*repository.LIST_OPTIONS)
    view = View(policies=await repository.sla_policies(session))
    pages = PageParams(page=_page_number(request.query_params.get("page")), page_size=PAGE_SIZE)
    page = await paginate(session, stmt, pages, request, lambda i: presenters.list_item(i, view))
    query = urlencode({k: v for k, v in filters.items() if v})
    return {
        "page": page,
        "page_number": pages.page,
        "page_size": PAGE_SIZE,
        "filters": filters,
        "query": query,
        "filtered": any(filters.values()),
    }


@router.get("/incidents")
async def incident_list(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    context = await _list_context(request, session)
    services = (await session.scalars(catalog.services().order_by(Service.name))).all()
    return render(
        request,
        "incidents.html",
        viewer.context(
            nav="incidents",
            services=services,
            status_choices=STATUS_CHOICES,
            severity_choices=SEVERITY_CHOICES,
            **context,
        ),
    )


@router.get("/incidents/_rows")
async def incident_rows(request: Request, session: SessionDep, viewer: ViewerDep) -> Response:
    """The list's results alone, for the live refresh."""
    context = await _list_context(request, session)
    return render(request, "_incident_results.html", viewer.context(nav="incidents", **context))


async def _detail_context(session: AsyncSession, ref: str) -> dict[str, Any]:
    incident = await repository.get(session, ref)
    view = View(policies=await repository.sla_policies(session))
    comments = (await session.scalars(repository.comments_of(incident.id))).all()
    detail = presenters.detail(incident, view)
    return {"incident": detail, "comments": comments, "timeline": list(reversed(detail.timeline))}


@router.get("/incidents/{ref}")
async def incident_page(
    ref: str, request: Request, session: SessionDep, viewer: ViewerDep
) -> Response:
    context = await _detail_context(session, ref)
    error = _ERRORS.get(request.query_params.get("error", ""))
    return render(request, "incident.html", viewer.context(nav="incidents", error=error, **context))


@router.get("/incidents/{ref}/live")
async def incident_live(
    ref: str, request: Request, session: SessionDep, viewer: ViewerDep
) -> Response:
    """The parts of an incident's page that change: status, KPIs, actions, timeline."""
    context = await _detail_context(session, ref)
    return render(request, "_incident_live.html", viewer.context(nav="incidents", **context))


def _back(short_id: str, error: str | None = None) -> Response:
    suffix = f"?error={error}" if error else ""
    return RedirectResponse(f"/incidents/{short_id}{suffix}", status_code=303)


@router.post("/incidents/{ref}/{action}")
async def incident_action(
    ref: str, action: str, request: Request, session: SessionDep, viewer: ViewerDep
) -> Response:
    """Acknowledge, mitigate, resolve or reopen (form POSTs, CSRF-checked), then back to the
    incident's page; a change its status no longer allows comes back with a notice."""
    form = await viewer.check_form(request)
    viewer.principal.require(INCIDENT_WRITE)
    incident = await repository.get(session, ref, options=())
    short_id, user = incident.short_id, viewer.principal.user
    message = form.get("message", "").strip()[:2000] or None
    try:
        if action == "acknowledge":
            await service.acknowledge(session, incident.id, user, message)
        elif action == "mitigate":
            await service.mitigate(session, incident.id, user, message)
        elif action == "resolve":
            note = form.get("resolution_note", "").strip()[:5000] or None
            await service.resolve(session, incident.id, user, note)
        elif action == "reopen":
            await service.reopen(session, incident.id, user, message)
        elif action == "comments":
            try:
                data = CommentCreate(content=form.get("content", "").strip())
            except ValueError:
                return _back(short_id, "comment")
            await service.add_comment(session, incident, user, data)
        else:
            raise NotFound(f"The dashboard has no action '{action}'.")
    except (Conflict, ValidationFailed):
        await session.rollback()
        return _back(short_id, "transition")
    return _back(short_id)
