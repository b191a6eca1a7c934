"""Writes the audit trail from the unit of work itself, so no mutating path can skip it.

Every flush turns each created, changed or deleted object of an audited class (one with
`__audit__ = "<name>"`) of an organization into an `AuditEvent` row in the same transaction.
The actor and request id come from `session.info` (set by the API's authentication); a service
may name the business action with `label()` ("acknowledged") instead of the generic "updated".
Secrets are redacted, never copied.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.attributes import History

from imas.audit.models import AuditEvent
from imas.db import TenantSession

REDACTED = "[redacted]"
SECRET_COLUMNS = frozenset(
    {"password_hash", "token_hash", "secret_encrypted", "credentials_encrypted", "headers"}
)
# An incident's durations follow its timestamps, which the trail already has.
SKIPPED_COLUMNS = frozenset(
    {
        "updated_at",
        "organization_id",
        "seconds_to_detect",
        "seconds_to_acknowledge",
        "seconds_to_resolve",
    }
)


def label(session: Any, obj: object, verb: str) -> None:
    """Record `obj`'s change in this flush as `<type>.<verb>` (e.g. `incident.acknowledged`)."""
    session.info.setdefault("audit_labels", {})[id(obj)] = verb


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "__mapper__"):  # a related row: its name, else its id
        return getattr(value, "name", None) or str(getattr(value, "id", ""))
    return value


def _value(key: str, value: Any) -> Any:
    return REDACTED if key in SECRET_COLUMNS and value is not None else _plain(value)


def _snapshot(obj: Any) -> dict[str, Any]:
    state = inspect(obj)
    return {
        attr.key: _value(attr.key, attr.value)
        for attr in state.attrs
        if attr.key in state.mapper.columns and attr.key not in SKIPPED_COLUMNS
    }


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.attrs:
        if attr.key in SKIPPED_COLUMNS:
            continue
        history: History = attr.history
        if not history.has_changes():
            continue
        if attr.key in state.mapper.relationships:
            if not state.mapper.relationships[attr.key].uselist:
                continue  # the foreign key column carries the change
            before[attr.key] = [_plain(v) for v in (*history.unchanged, *history.deleted)]
            after[attr.key] = [_plain(v) for v in (*history.unchanged, *history.added)]
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        before[attr.key] = _value(attr.key, old)
        after[attr.key] = _value(attr.key, new)
    return before, after


def _incident_of(obj: Any) -> uuid.UUID | None:
    if getattr(obj, "__audit__", "") == "incident":
        return obj.id  # type: ignore[no-any-return]
    return getattr(obj, "incident_id", None)


def _org_of(obj: Any, session: Session) -> uuid.UUID | None:
    if getattr(obj, "__audit__", "") == "organization":
        return obj.id  # type: ignore[no-any-return]
    return getattr(obj, "organization_id", None) or session.info.get("organization_id")


@event.listens_for(TenantSession, "after_flush")
def _record(session: Session, flush_context: UOWTransaction) -> None:
    """After the rows are written (ids known, history not yet cleared), before the commit."""
    labels: dict[int, str] = session.info.get("audit_labels", {})
    rows: list[dict[str, Any]] = []
    for verb, objects in (
        ("created", session.new),
        ("updated", session.dirty),
        ("deleted", session.deleted),
    ):
        for obj in objects:
            kind = getattr(obj, "__audit__", None)
            org_id = _org_of(obj, session) if kind else None
            if kind is None or org_id is None:
                continue
            before: dict[str, Any] | None = None
            after: dict[str, Any] | None = None
            if verb == "created":
                after = _snapshot(obj)
            elif verb == "deleted":
                before = _snapshot(obj)
            else:
                before, after = _changes(obj)
                if not after and not before:
                    continue
            action = f"{kind}.{labels.pop(id(obj), verb)}"
            rows.append(
                {
                    "organization_id": org_id,
                    "actor_id": session.info.get("actor_id"),
                    "actor_name": session.info.get("actor_name", "system"),
                    "action": action,
                    "object_type": kind,
                    "object_id": str(obj.id),
                    "incident_id": _incident_of(obj),
                    "request_id": session.info.get("request_id"),
                    "before": before,
                    "after": after,
                    "summary": _summary(action, before, after),
                }
            )
    if rows:
        # Core insert on the flush's own connection: same transaction, after the audited rows.
        session.connection().execute(insert(AuditEvent), rows)


def _summary(action: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    if before and after:
        fields = ", ".join(f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in after)
        return f"{action} ({fields})"
    return action
