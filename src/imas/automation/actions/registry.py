"""The one registry of run actions: every `Action` subclass with a `kind` in a module of
`imas.automation.actions`. Adding an action is adding one module there."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import ValidationError

from imas.automation import actions
from imas.automation.actions.base import Action, Params
from imas.errors import ValidationFailed
from imas.plugins import discover


@cache
def _all() -> dict[str, type[Action]]:
    return discover(actions, Action, "run actions")


def kinds() -> list[str]:
    return list(_all())


def all_actions() -> list[type[Action]]:
    return list(_all().values())


def get(kind: str) -> Action:
    """The action named `kind` (400 naming the known ones when there is none)."""
    cls = _all().get(kind)
    if cls is None:
        raise ValidationFailed(
            f"action: unknown action '{kind}'; known: {', '.join(kinds())}",
            details={"field": "action", "allowed_values": kinds()},
        )
    return cls()


def params(action: Action, given: dict[str, Any]) -> Params:
    """`given` validated against the action's schema (400 saying what is wrong)."""
    try:
        return action.Params.model_validate(given)
    except ValidationError as exc:
        raise ValidationFailed.under("parameters", exc.errors()) from None
