"""What IMAS shows in Slack: Block Kit for incident messages, the create modal, short texts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from imas.catalog.models import Service
from imas.incidents.models import Incident, Severity, Status

ACK_ACTION = "incident_ack"
RESOLVE_ACTION = "incident_resolve"
CREATE_CALLBACK = "imas_incident_create"

_SEVERITY_ICON = {
    Severity.SEV1_CRITICAL: ":red_circle:",
    Severity.SEV2_HIGH: ":large_orange_circle:",
    Severity.SEV3_MEDIUM: ":large_yellow_circle:",
    Severity.SEV4_LOW: ":white_circle:",
}
_STATUS_ICON = {
    Status.TRIGGERED: ":rotating_light:",
    Status.ACKNOWLEDGED: ":eyes:",
    Status.MITIGATED: ":adhesive_bandage:",
    Status.RESOLVED: ":white_check_mark:",
}


def headline(incident: Incident) -> str:
    icon = _STATUS_ICON.get(Status(incident.status), "")
    return f"{icon} {incident.short_id} [{incident.severity}] {incident.title} - {incident.status}"


def incident_blocks(incident: Incident, service_name: str) -> list[dict[str, Any]]:
    """The incident's message: what it is, where it stands, and the buttons that still apply."""
    severity = _SEVERITY_ICON.get(Severity(incident.severity), "")
    fields = [
        f"*Status*\n{_STATUS_ICON.get(Status(incident.status), '')} {incident.status}",
        f"*Severity*\n{severity} {incident.severity}",
        f"*Service*\n{service_name or '-'}",
        f"*Incident*\n{incident.short_id}",
    ]
    if incident.war_room_link:
        fields.append(f"*War room*\n<{incident.war_room_link}|join>")
    if incident.itsm_ticket_id:
        fields.append(f"*Ticket*\n{incident.itsm_ticket_id}")
    if incident.remediation_status:
        fields.append(
            f"*Remediation*\n{incident.remediation_status} "
            f"({incident.remediation_attempts} attempt(s))"
        )
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "block_id": "incident_title",
            "text": {"type": "mrkdwn", "text": f"*{incident.short_id}: {_escape(incident.title)}*"},
        },
        {
            "type": "section",
            "block_id": "incident_fields",
            "fields": [{"type": "mrkdwn", "text": text} for text in fields],
        },
    ]
    buttons: list[dict[str, Any]] = []
    if incident.status == Status.TRIGGERED:
        buttons.append(_button("Acknowledge", ACK_ACTION, str(incident.id), "primary"))
    if incident.status != Status.RESOLVED:
        buttons.append(_button("Resolve", RESOLVE_ACTION, str(incident.id), "danger"))
    if buttons:
        blocks.append({"type": "actions", "block_id": "incident_actions", "elements": buttons})
    return blocks


def _button(text: str, action_id: str, value: str, style: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
        "style": style,
    }


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def incident_list(incidents: Sequence[Incident]) -> str:
    if not incidents:
        return "No open incidents. :tada:"
    lines = [f"*Open incidents ({len(incidents)}):*"]
    lines += [f"- {headline(incident)}" for incident in incidents]
    return "\n".join(lines)


def create_modal(services: Sequence[Service], channel_id: str) -> dict[str, Any]:
    """The `/imas incident create` modal; its submission (view_submission) opens the incident."""
    service_options = [
        {"text": {"type": "plain_text", "text": s.name[:75]}, "value": str(s.id)} for s in services
    ]
    severity_options = [
        {"text": {"type": "plain_text", "text": s.value}, "value": s.value} for s in Severity
    ]
    return {
        "type": "modal",
        "callback_id": CREATE_CALLBACK,
        "private_metadata": channel_id,
        "title": {"type": "plain_text", "text": "New incident"},
        "submit": {"type": "plain_text", "text": "Create"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "Title"},
                "element": {"type": "plain_text_input", "action_id": "value", "max_length": 200},
            },
            {
                "type": "input",
                "block_id": "service",
                "label": {"type": "plain_text", "text": "Service"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": service_options,
                },
            },
            {
                "type": "input",
                "block_id": "severity",
                "label": {"type": "plain_text", "text": "Severity"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": severity_options,
                    "initial_option": severity_options[2],
                },
            },
            {
                "type": "input",
                "block_id": "description",
                "optional": True,
                "label": {"type": "plain_text", "text": "Description"},
                "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
            },
        ],
    }


HELP = (
    "Usage: `/imas incident list` | `/imas incident create` | "
    "`/imas incident ack <id>` | `/imas incident resolve <id>`"
)
