"""The one exception family of IMAS. Services raise these; the API turns them into the error shape.

Each class carries its HTTP status, a stable machine `code`, and a short `error` title (the
seeds' wording, e.g. "Incident already exists"); `message` is a sentence a person can act on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

_LOCATIONS = frozenset({"body", "query", "path", "header", "cookie"})


class IMASError(Exception):
    status_code: int = 400
    code: str = "bad_request"
    error: str = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        error: str | None = None,
        code: str | None = None,
    ) -> None:
        self.message = message or self.error
        self.details = details or {}
        if error is not None:
            self.error = error
        if code is not None:
            self.code = code
        super().__init__(self.message)


class ValidationFailed(IMASError):
    status_code = 400
    code = "validation_error"
    error = "Validation failed"

    @classmethod
    def field(cls, name: str, problem: str) -> ValidationFailed:
        return cls(f"{name}: {problem}", details={name: [problem]})

    @classmethod
    def under(cls, field: str, errors: Iterable[Mapping[str, Any]]) -> ValidationFailed:
        """`from_errors` of a model validated as the value of `field` (`parameters.path`)."""
        return cls.from_errors([{**e, "loc": (field, *e["loc"])} for e in errors])

    @classmethod
    def from_errors(cls, errors: Iterable[Mapping[str, Any]]) -> ValidationFailed:
        """From pydantic's error list: `details` per field, `message` naming each field once."""
        details: dict[str, list[str]] = {}
        for err in errors:
            raw = list(err.get("loc", ()))
            if raw and raw[0] == "query":  # a repeated parameter: name it, not its position
                raw = [p for p in raw if not isinstance(p, int)]
            loc = [str(p) for p in raw]
            if len(loc) > 1 and loc[0] in _LOCATIONS:
                loc = loc[1:]
            details.setdefault(".".join(loc) or "body", []).append(str(err["msg"]))
        message = "; ".join(f"{name}: {msgs[0]}" for name, msgs in details.items())
        return cls(message or "The request is invalid.", details=details)


class MalformedJson(IMASError):
    status_code = 400
    code = "malformed_json"
    error = "Malformed JSON"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message or "The request body is not valid JSON; check quotes, commas and brackets."
        )


class NotAuthenticated(IMASError):
    status_code = 401
    code = "not_authenticated"
    error = "Authentication required"


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    error = "Invalid credentials"


class TokenExpired(NotAuthenticated):
    code = "token_expired"
    error = "Token expired"


class PermissionDenied(IMASError):
    status_code = 403
    code = "permission_denied"
    error = "Permission denied"


class NotFound(IMASError):
    status_code = 404
    code = "not_found"
    error = "Not found"

    @classmethod
    def of(cls, kind: str, ident: object) -> NotFound:
        return cls(
            f"No {kind} with id {ident} exists in this organization.",
            details={"resource": kind, "id": str(ident)},
        )


class Conflict(IMASError):
    status_code = 409
    code = "conflict"
    error = "Conflict"


class RateLimited(IMASError):
    status_code = 429
    code = "rate_limited"
    error = "Rate limit exceeded"

    def __init__(self, retry_after: int, limit: int, reset_at: int) -> None:
        self.retry_after = retry_after
        super().__init__(
            f"Too many requests: the limit is {limit} per window; retry in {retry_after} s.",
            details={"limit": limit, "remaining": 0, "reset": reset_at},
        )
