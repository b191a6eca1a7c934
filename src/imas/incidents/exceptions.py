from __future__ import annotations

from imas.errors import Conflict


class InvalidTransition(Conflict):
    code = "invalid_transition"
    error = "Invalid transition"


class IncidentAlreadyExists(Conflict):
    code = "incident_exists"
    error = "Incident already exists"
