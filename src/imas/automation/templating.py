"""Templates in action parameters, rendered by Jinja2's sandbox: a template can read the values
it is given and nothing else (no attribute access to Python internals, no imports)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from imas.automation.actions.base import ActionFailed


@cache
def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def render(value: Any, values: dict[str, Any]) -> Any:
    """`value` with every string in it rendered (dicts and lists walked)."""
    if isinstance(value, str):
        if "{" not in value:
            return value
        try:
            return _environment().from_string(value).render(values)
        except TemplateError as exc:
            raise ActionFailed(f"template {value!r} cannot be rendered: {exc}") from None
    if isinstance(value, dict):
        return {k: render(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, values) for v in value]
    return value
