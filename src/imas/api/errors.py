"""Exception handlers: every error leaves IMAS in one shape.

`{"error", "code", "message", "details", "request_id"}`; FastAPI's own validation errors become
400 `validation_error` with per-field details; unexpected errors become a 500 without any trace.
Request input is never echoed back in details (it may hold a password).
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from imas.errors import IMASError, MalformedJson, RateLimited, ValidationFailed

log = structlog.get_logger("imas.api")


class ErrorResponse(BaseModel):
    error: str
    code: str
    message: str
    details: dict[str, Any] = {}
    request_id: str | None = None
    retry_after: int | None = None


_HTTP_CODES: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "Bad request", "The request could not be understood."),
    401: ("not_authenticated", "Authentication required", "Send a valid credential."),
    403: ("permission_denied", "Permission denied", "You may not do this."),
    404: ("not_found", "Not found", "No resource exists at this address."),
    405: ("method_not_allowed", "Method not allowed", "This address does not accept that method."),
    413: ("payload_too_large", "Payload too large", "The request body is too large."),
}


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def error_response(
    request: Request,
    status: int,
    *,
    error: str,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    retry_after: int | None = None,
) -> JSONResponse:
    body = ErrorResponse(
        error=error,
        code=code,
        message=message,
        details=details or {},
        request_id=request_id_of(request),
        retry_after=retry_after,
    )
    # The 500 handler runs outside the middleware that stamps every answer, so stamp it here too.
    out = {"X-Request-ID": body.request_id} if body.request_id else {}
    out.update(headers or {})
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=out)


async def _imas_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, IMASError)
    headers = None
    retry_after = None
    if isinstance(exc, RateLimited):
        retry_after = exc.retry_after
        headers = {"Retry-After": str(exc.retry_after)}
    if exc.status_code == 401:
        headers = {"WWW-Authenticate": 'Token, Bearer realm="imas"'}
    return error_response(
        request,
        exc.status_code,
        error=exc.error,
        code=exc.code,
        message=exc.message,
        details=exc.details,
        headers=headers,
        retry_after=retry_after,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return await _imas_error(request, MalformedJson())
    return await _imas_error(request, ValidationFailed.from_errors(errors))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, error, message = _HTTP_CODES.get(
        exc.status_code, ("http_error", "HTTP error", str(exc.detail))
    )
    if isinstance(exc.detail, str) and exc.detail and exc.status_code not in (404, 405):
        message = exc.detail
    return error_response(
        request,
        exc.status_code,
        error=error,
        code=code,
        message=message,
        headers=getattr(exc, "headers", None),
    )


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    log.warning("integrity_error", error=type(exc).__name__)
    return error_response(
        request,
        409,
        error="Conflict",
        code="conflict",
        message="The change conflicts with existing data (a duplicate or a missing reference).",
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled_error", path=request.url.path)
    return error_response(
        request,
        500,
        error="Internal server error",
        code="internal_error",
        message="An unexpected error occurred; quote the request id when reporting it.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(IMASError, _imas_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(Exception, _unexpected_error)
