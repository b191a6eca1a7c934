"""JIRA statuses <-> incident statuses.

Seed 004's table, read with its third column ("Ticket State"):

| JIRA status  | seed status  | ticket state     | IMAS incident                                  |
|--------------|--------------|------------------|------------------------------------------------|
| Done, Closed | acknowledged | Ticket closed    | RESOLVED                                       |
| In Progress  | in_progress  | Work in progress | ACKNOWLEDGED (someone works on it)             |
| To Do, Open  | open         | Ticket open      | TRIGGERED (reopened if it was resolved)        |
| Reopened     | in_progress  | Ticket reopened  | ACKNOWLEDGED (reopened first if resolved)      |

The seed's own statuses are open -> in_progress -> acknowledged, its last one being its *closed*
state (its summary counts open, in_progress and closed); IMAS's closed state is RESOLVED, and
IMAS's ACKNOWLEDGED is the seed's in_progress. A status the table does not name falls back on
JIRA's status category (`done`, `indeterminate`, `new`).

IMAS never moves an incident backwards except by reopening a resolved one: "To Do" on an
acknowledged incident changes nothing (IMAS does not take an acknowledgement back).
"""

from __future__ import annotations

from imas.incidents.models import Status

INBOUND: dict[str, Status] = {
    "done": Status.RESOLVED,
    "closed": Status.RESOLVED,
    "in progress": Status.ACKNOWLEDGED,
    "to do": Status.TRIGGERED,
    "open": Status.TRIGGERED,
    "reopened": Status.ACKNOWLEDGED,
}
_BY_CATEGORY = {
    "done": Status.RESOLVED,
    "indeterminate": Status.ACKNOWLEDGED,
    "new": Status.TRIGGERED,
}

# IMAS status -> the JIRA statuses that express it, the preferred first (the first that the
# issue's workflow offers a transition to is taken).
OUTBOUND: dict[Status, tuple[str, ...]] = {
    Status.TRIGGERED: ("To Do", "Open", "Reopened", "Backlog"),
    Status.ACKNOWLEDGED: ("In Progress",),
    Status.MITIGATED: ("In Progress",),
    Status.RESOLVED: ("Done", "Closed", "Resolved"),
}


def incident_status_for(jira_status: str, category: str | None = None) -> Status | None:
    found = INBOUND.get(jira_status.strip().lower())
    if found is None and category:
        found = _BY_CATEGORY.get(category.strip().lower())
    return found


def steps(current: Status, target: Status) -> list[str]:
    """The lifecycle actions that take an incident from `current` to `target`; [] when it is
    there already or IMAS does not move that way."""
    if target == Status.RESOLVED:
        return [] if current == Status.RESOLVED else ["resolve"]
    if target == Status.ACKNOWLEDGED:
        if current == Status.RESOLVED:
            return ["reopen", "acknowledge"]
        return ["acknowledge"] if current == Status.TRIGGERED else []
    if target == Status.TRIGGERED:
        return ["reopen"] if current == Status.RESOLVED else []
    return []
