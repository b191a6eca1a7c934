"""The rules of alerts, one module per use case. Plain arguments in, rows out; never commits."""

from imas.alerts.service.alerts import acknowledge, get_alert, update_alert
from imas.alerts.service.intake import Outcome, ingest
from imas.alerts.service.integrations import (
    by_key,
    create_integration,
    delete_integration,
    get_integration,
    rotate_key,
    source_of,
    update_integration,
)
from imas.alerts.service.silences import (
    create_silence,
    delete_silence,
    get_silence,
    state_of,
    update_silence,
)

__all__ = [
    "Outcome",
    "acknowledge",
    "by_key",
    "create_integration",
    "create_silence",
    "delete_integration",
    "delete_silence",
    "get_alert",
    "get_integration",
    "get_silence",
    "ingest",
    "rotate_key",
    "source_of",
    "state_of",
    "update_alert",
    "update_integration",
    "update_silence",
]
