"""The dashboard's dependencies: the signed-in principal (from the session cookie) and what
every page's layout needs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from imas.api.deps import SessionDep, SettingsDep, bind_actor
from imas.auth.scopes import INCIDENT_READ, INCIDENT_WRITE
from imas.auth.service import Principal
from imas.config import Settings
from imas.web.session import check_csrf, csrf_token, principal_from_cookie


@dataclass(frozen=True)
class Viewer:
    """The signed-in user of a page, with what the layout shows and forms carry."""

    principal: Principal
    settings: Settings

    @property
    def csrf(self) -> str:
        return csrf_token(self.settings, self.principal)

    @property
    def can_write(self) -> bool:
        return INCIDENT_WRITE in self.principal.scopes

    def context(self, nav: str, **values: Any) -> dict[str, Any]:
        return {
            "viewer": self,
            "user": self.principal.user,
            "org": self.principal.organization,
            "csrf_token": self.csrf,
            "nav": nav,
            **values,
        }

    async def check_form(self, request: Request) -> dict[str, str]:
        """The POSTed form's fields, once its CSRF token is checked."""
        form = await request.form()
        check_csrf(self.settings, self.principal, form.get("csrf_token"))
        return {k: v for k, v in form.items() if isinstance(v, str)}


async def current_viewer(request: Request, session: SessionDep, settings: SettingsDep) -> Viewer:
    principal = await principal_from_cookie(request, session, settings)
    bind_actor(session, request, principal.user)
    viewer = Viewer(principal, settings)
    # An error page (even a 403 for the scope below) keeps the signed-in layout.
    request.state.page_context = viewer.context(nav="")
    principal.require(INCIDENT_READ)
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
