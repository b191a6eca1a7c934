"""The OpenAPI schema documents what IMAS really answers.

Every router is included with `ERROR_RESPONSES` (the error shape for the codes any request can
meet), and FastAPI's default 422 (IMAS never sends it: validation errors are 400) is taken out.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from imas.api.errors import ErrorResponse

_COMMON_ERRORS = {
    400: "Invalid input: malformed JSON or a field that fails validation",
    401: "Missing, invalid, expired or revoked credential",
    403: "The credential lacks the scope or role this needs",
    404: "No such object in your organization",
    409: "Conflicts with the current state (duplicate, invalid transition)",
    413: "The request body is larger than the configured limit",
    429: "Rate limit exceeded",
    500: "Unexpected server error (no details are given out)",
}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": description}
    for code, description in _COMMON_ERRORS.items()
}


def drop_default_422(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                operation.get("responses", {}).pop("422", None)
        components = schema.get("components", {}).get("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
