"""Errors of the alert domain, each with its HTTP status and code (see `imas.errors`)."""

from __future__ import annotations

from pydantic import ValidationError

from imas.errors import Conflict, IMASError, NotAuthenticated, PermissionDenied, ValidationFailed


class InvalidPayload(ValidationFailed):
    """The body is JSON but not in the shape the tool documents: nothing of it is stored."""

    code = "invalid_payload"
    error = "Invalid payload"

    @classmethod
    def from_validation(cls, kind: str, exc: ValidationError) -> InvalidPayload:
        details: dict[str, list[str]] = {}
        for err in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(p) for p in err["loc"]) or "body"
            details.setdefault(where, []).append(str(err["msg"]))
        first = "; ".join(f"{where}: {msgs[0]}" for where, msgs in list(details.items())[:5])
        return cls(
            f"This is not a {kind} payload IMAS understands, so none of it was stored: {first}",
            details=details,
        )

    @classmethod
    def because(cls, kind: str, where: str, problem: str) -> InvalidPayload:
        return cls(
            f"This is not a {kind} payload IMAS understands, so none of it was stored: "
            f"{where}: {problem}",
            details={where: [problem]},
        )


class InvalidIntegrationKey(NotAuthenticated):
    code = "invalid_integration_key"
    error = "Invalid integration key"


class IntegrationDisabled(PermissionDenied):
    code = "integration_disabled"
    error = "Integration disabled"


class IntegrationKindMismatch(IMASError):
    status_code = 400
    code = "integration_kind_mismatch"
    error = "Wrong receiver for this integration"


class AlertAlreadyAcknowledged(Conflict):
    code = "already_acknowledged"
    error = "Alert already acknowledged"


class AlertResolvedAtSource(Conflict):
    code = "resolved_at_source"
    error = "Alert resolved at its source"
