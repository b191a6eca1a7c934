"""The rules of incidents, one module per use case. Plain arguments in, rows out; never commits."""

from imas.incidents.service.create import create_incident
from imas.incidents.service.edit import (
    add_comment,
    add_tags,
    delete_incident,
    remove_tag,
    update_incident,
)
from imas.incidents.service.lifecycle import acknowledge, mitigate, reopen, resolve, transition
from imas.incidents.service.sla import list_policies, set_policy

__all__ = [
    "acknowledge",
    "add_comment",
    "add_tags",
    "create_incident",
    "delete_incident",
    "list_policies",
    "mitigate",
    "remove_tag",
    "reopen",
    "resolve",
    "set_policy",
    "transition",
    "update_incident",
]
