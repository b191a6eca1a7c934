"""Scopes (what a credential may do) and the roles that grant them."""

from __future__ import annotations

from collections.abc import Iterable

from imas.errors import ValidationFailed
from imas.orgs.models import Role

INCIDENT_READ = "incident:read"
INCIDENT_WRITE = "incident:write"
INCIDENT_DELETE = "incident:delete"
AUTOMATION_EXECUTE = "automation:execute"
WEBHOOK_READ = "webhook:read"
WEBHOOK_WRITE = "webhook:write"
PIPELINE_READ = "pipeline:read"
PIPELINE_WRITE = "pipeline:write"
PIPELINE_EXECUTE = "pipeline:execute"
ADMIN = "admin"

ALL_SCOPES: tuple[str, ...] = (
    INCIDENT_READ,
    INCIDENT_WRITE,
    INCIDENT_DELETE,
    AUTOMATION_EXECUTE,
    WEBHOOK_READ,
    WEBHOOK_WRITE,
    PIPELINE_READ,
    PIPELINE_WRITE,
    PIPELINE_EXECUTE,
    ADMIN,
)

_VIEWER = frozenset({INCIDENT_READ, WEBHOOK_READ, PIPELINE_READ})
_RESPONDER = _VIEWER | {INCIDENT_WRITE, AUTOMATION_EXECUTE, PIPELINE_EXECUTE}

ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.VIEWER: _VIEWER,
    Role.RESPONDER: _RESPONDER,
    Role.ADMIN: frozenset(ALL_SCOPES),
}


def validate_scopes(requested: Iterable[str] | None) -> list[str] | None:
    """None means "everything the role allows"; otherwise every name must be a known scope."""
    if requested is None:
        return None
    names = sorted(set(requested))
    unknown = [s for s in names if s not in ALL_SCOPES]
    if unknown:
        raise ValidationFailed.field(
            "scopes", f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(ALL_SCOPES)}"
        )
    return names


def effective_scopes(role: str, limited_to: Iterable[str] | None) -> frozenset[str]:
    """What a credential may do now: its own limit, never more than the user's current role."""
    granted = ROLE_SCOPES.get(Role(role), frozenset())
    return granted if limited_to is None else granted & frozenset(limited_to)
