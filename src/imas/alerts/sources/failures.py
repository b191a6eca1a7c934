"""What the sources of failed runs share (Azure Monitor, Databricks, Airflow: the seed's
"tickets"): the error classification on each alert, and the answer the seed's clients read.

Each alert gets its classification as labels (`error_type`, `error_category`, so silences and
grouping can use them) and annotations (`suggested_action`, `is_remediable`,
`remediation_action`); a payload without a severity of its own takes the classification's,
which the integration may override per error type (`"severity_mapping": {"connectionerror":
"SEV2_HIGH"}`).

The answer: `ticket_id` (the short id of the alert's incident), `status` (`created`,
`duplicate` with `message: "Duplicate run_id detected"` and `existing_ticket` when the run is
already known, `resolved`, `silenced`, `ignored`), `error_type`, `error_classification`,
`is_auto_remediable` and `remediation_action`. A post of several alerts answers one such
ticket per alert in `tickets`, its own `status` the first of created, resolved, duplicate,
silenced, ignored that one of them has, its `ticket_id` their incident if they share one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from imas.alerts.classification import UNKNOWN, Classification, by_error_type, classify
from imas.alerts.models import AlertStatus
from imas.alerts.sources.base import AlertIn, Source
from imas.incidents.models import Severity

if TYPE_CHECKING:
    from imas.alerts.schemas import ReceivedAlert

CREATED = "created"
DUPLICATE = "duplicate"
RESOLVED = "resolved"
SILENCED = "silenced"
IGNORED = "ignored"
ERROR_TEXT_MAX = 5_000
"""The error text kept as an annotation (the raw payload keeps all of it)."""


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Remedy:
    """The run action that may fix a failure, and its parameters (from the alert's labels)."""

    action: str
    parameters: dict[str, Any]


class FailureSource(Source):
    """A source whose alerts are failed runs of jobs and pipelines (no `kind`: not a source of
    its own)."""

    @classmethod
    def remedy(cls, labels: dict[str, str], found: Classification) -> Remedy | None:
        """What auto-remediation runs for a remediable failure of this source (None: nothing
        this source knows to do)."""
        return None

    def classified(
        self, text: str, labels: dict[str, str], annotations: dict[str, str]
    ) -> Classification:
        """`text`'s classification, written into the alert's labels and annotations."""
        found = classify(text)
        labels["error_type"] = found.error_type
        labels["error_category"] = found.category
        annotations["suggested_action"] = found.suggested_action
        annotations["is_remediable"] = "true" if found.is_remediable else "false"
        if found.action:
            annotations["remediation_action"] = found.action
        return found

    def severity_of(self, given: object, found: Classification) -> Severity:
        """The payload's own severity when it has one, else the classification's (through the
        integration's overrides, keyed by the error type in lower case)."""
        if isinstance(given, str) and given.strip():
            return self.severity(given)
        return self.config.severity_map.get(found.error_type.lower(), found.severity)

    def response_extra(
        self, alerts: list[AlertIn], received: list[ReceivedAlert]
    ) -> dict[str, Any]:
        tickets = [ticket(a, r) for a, r in zip(alerts, received, strict=True)]
        if len(tickets) == 1:
            return tickets[0]
        if not tickets:
            return {
                "status": IGNORED,
                "ticket_id": None,
                "message": "Nothing in this post is a failure or a recovery: no alert.",
            }
        incidents = {t["ticket_id"] for t in tickets}
        return {
            "status": _overall({t["status"] for t in tickets}),
            "ticket_id": incidents.pop() if len(incidents) == 1 else None,
            "message": f"{len(tickets)} alerts received",
            "tickets": tickets,
        }


def ticket(alert: AlertIn, received: ReceivedAlert) -> dict[str, Any]:
    """The seed's answer for one alert (its classification when the alert is a failure)."""
    status, message = _status(alert, received)
    out: dict[str, Any] = {
        "ticket_id": received.incident,
        "status": status,
        "message": message,
        "fingerprint": received.fingerprint,
    }
    if "run_id" in alert.labels:
        out["run_id"] = alert.labels["run_id"]
    if status == DUPLICATE:
        out["existing_ticket"] = received.incident
    if "error_type" in alert.labels:
        found = by_error_type(alert.labels["error_type"]) or UNKNOWN
        out.update(
            error_type=found.error_type,
            error_classification={
                "error_type": found.error_type,
                "category": found.category,
                "severity": found.severity,
                "is_remediable": found.is_remediable,
                "action": found.action,
                "max_retries": found.max_retries,
            },
            is_auto_remediable=found.is_remediable,
            remediation_action=found.action,
        )
    return out


def _overall(statuses: set[str]) -> str:
    """The status of a post of several alerts: the most telling of theirs."""
    return next(s for s in (CREATED, RESOLVED, DUPLICATE, SILENCED, IGNORED) if s in statuses)


def _status(alert: AlertIn, received: ReceivedAlert) -> tuple[str, str]:
    if received.status == IGNORED:
        return IGNORED, "No firing alert has this fingerprint: nothing to resolve."
    if alert.status == AlertStatus.RESOLVED:
        if received.deduplicated:
            return DUPLICATE, "Already resolved"
        return RESOLVED, "Alert resolved"
    if received.deduplicated:
        return DUPLICATE, "Duplicate run_id detected"
    if received.silenced:
        return SILENCED, "Alert received and silenced: no ticket"
    if received.incident is None:
        return CREATED, (
            "Alert received; no ticket: it names no service of this organization and the "
            "integration has no default service"
        )
    return CREATED, f"Alert received on ticket {received.incident}"
