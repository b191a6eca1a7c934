"""What a WebSocket client receives for an event: small, in the seed's shapes (`new_ticket`,
`status_update`), with IMAS's event name and id so a client can fetch the rest."""

from __future__ import annotations

from typing import Any

from imas.events import Event, EventType

_STATUS_EVENTS = {
    EventType.INCIDENT_ACKNOWLEDGED,
    EventType.INCIDENT_MITIGATED,
    EventType.INCIDENT_RESOLVED,
    EventType.INCIDENT_REOPENED,
}
_TEXT_MAX = 200


def _ticket(data: dict[str, Any]) -> dict[str, Any]:
    service = data.get("service") or {}
    return {
        "id": data.get("short_id"),
        "incident_id": data.get("id"),
        "title": str(data.get("title", ""))[:_TEXT_MAX],
        "service": service.get("name"),
        "severity": data.get("severity"),
        "status": data.get("status"),
    }


def _actor(data: dict[str, Any]) -> str | None:
    actor = data.get("actor") or {}
    name = actor.get("username")
    return name if isinstance(name, str) else None


def message(event: Event) -> dict[str, Any]:
    data = event.data
    head: dict[str, Any] = {
        "event_type": str(event.type),
        "event_id": str(event.id),
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
    }
    if event.type == EventType.INCIDENT_CREATED:
        return {"event": "new_ticket", **head, "ticket": _ticket(data)}
    if event.type in _STATUS_EVENTS:
        return {
            "event": "status_update",
            **head,
            "ticket_id": data.get("short_id"),
            "new_status": str(data.get("status", "")).lower(),
            "updated_by": _actor(data),
            "ticket": _ticket(data),
        }
    if event.type == EventType.ALERT_RECEIVED:
        alert = data.get("alert")
        if isinstance(alert, dict):
            alert = {k: v for k, v in alert.items() if k != "labels"}
            alert["title"] = str(alert.get("title", ""))[:_TEXT_MAX]
        return {"event": "alert_received", **head, "alert": alert}
    if str(event.type).startswith("REMEDIATION_"):
        return {
            "event": "remediation_update",
            **head,
            "ticket_id": data.get("short_id"),
            "remediation_status": data.get("remediation_status"),
            "remediation_attempts": data.get("remediation_attempts"),
            "run": data.get("run"),
        }
    if str(event.type).startswith("INCIDENT_"):
        return {
            "event": "ticket_update",
            **head,
            "ticket_id": data.get("short_id"),
            "changes": sorted((data.get("changes") or {}).keys()),
            "updated_by": _actor(data),
            "ticket": _ticket(data),
        }
    return {"event": str(event.type).lower(), **head}
