"""Rendering: the templates, their filters, and the route class that turns errors into pages.

Every dashboard route uses `PageRoute`: a missing or expired session sends the browser to
`/login` (a live fragment gets 401 instead, and its script goes there itself); any other IMAS
error (404 for another organization's incident, 403 for a missing scope or a failed CSRF
check) becomes an error page with the error's status.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from imas.errors import IMASError
from imas.web.session import LoginRequired

HERE = Path(__file__).parent
FRAGMENT_HEADER = "x-imas-fragment"

templates = Jinja2Templates(directory=HERE / "templates")


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


def duration(seconds: int | float | None) -> str:
    """`4m 12s`, `3h 05m`, `2d 4h`; an em dash when there is nothing to measure."""
    if seconds is None:
        return "—"
    total = int(seconds)
    sign, total = ("-", -total) if total < 0 else ("", total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def when(moment: datetime | None) -> str:
    return "—" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat().replace("+00:00", "Z")


def label(value: object) -> str:
    """`SEV1_CRITICAL` -> `SEV1 Critical`, `TRIGGERED` -> `Triggered`."""
    text = str(getattr(value, "value", value))
    if text.startswith("SEV") and "_" in text:
        head, _, rest = text.partition("_")
        return f"{head} {rest.title()}"
    return text.replace("_", " ").capitalize()


def css_key(value: object) -> str:
    return str(getattr(value, "value", value)).lower().replace("_", "-")


templates.env.filters.update(duration=duration, when=when, iso=iso, label=label, key=css_key)


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def error_page(request: Request, status: int, title: str, message: str) -> Response:
    context = {"status": status, "title": title, "message": message}
    context.update(getattr(request.state, "page_context", {}))
    return render(request, "error.html", context, status_code=status)


def login_redirect(request: Request) -> Response:
    if request.headers.get(FRAGMENT_HEADER):
        return Response("login required", status_code=401, media_type="text/plain")
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


class PageRoute(APIRoute):
    """Answers errors with pages (or a login redirect) instead of the API's JSON shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return login_redirect(request)
            except IMASError as exc:
                return error_page(request, exc.status_code, exc.error, exc.message)
            except RequestValidationError:
                return error_page(
                    request, 400, "Bad request", "Some values in the address are not valid."
                )

        return run
