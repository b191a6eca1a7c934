"""Jinja2 templates in pipeline steps, rendered in a sandbox.

`render_sql` never pastes a value into SQL: every `{{ expression }}` becomes a bind parameter
(`:p0`, `:p1`...) and its value goes into the parameters, so `x'; DROP TABLE t; --` is only ever
a string compared with a column. A placeholder written between single quotes, as in
`WHERE updated_at > '{{ last_run_date }}'`, loses its quotes (a bound value needs none).
`{% if %}` and `{% for %}` work as usual; they shape the SQL, the values stay bound.

The SQL text is for `sqlalchemy.text()`: colons of the template's own text are escaped (`\\:`),
so `'10:30'` or `::date` is never taken for a parameter.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

_TAG = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.DOTALL)
_QUOTED = re.compile(r"'\s*(\{\{.*?\}\})\s*'", re.DOTALL)


class TemplateFailed(ValueError):
    """The template is invalid or uses an undefined variable (the message says which)."""


class _Binder:
    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def __call__(self, value: Any) -> str:
        if isinstance(value, Undefined):
            str(value)  # StrictUndefined raises UndefinedError naming the variable
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"


def _sql_source(query: str) -> str:
    """Quotes around a lone placeholder dropped, colons of the literal SQL escaped."""
    query = _QUOTED.sub(r"\1", query)
    parts = _TAG.split(query)
    return "".join(p if i % 2 else p.replace(":", "\\:") for i, p in enumerate(parts))


def _environment(finalize: Any = None) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, finalize=finalize, keep_trailing_newline=True
    )


def _message(exc: TemplateError) -> str:
    if isinstance(exc, UndefinedError):
        return f"undefined variable: {exc.message}"
    line = getattr(exc, "lineno", None)
    return f"{exc.message or type(exc).__name__}" + (f" (line {line})" if line else "")


def check(template: str) -> None:
    """Raise `TemplateFailed` if `template` does not parse (checked when a step is saved)."""
    try:
        _environment().parse(template)
    except TemplateError as exc:
        raise TemplateFailed(_message(exc)) from None


def render_sql(query: str, variables: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(SQL text with `:p0`... placeholders for `sqlalchemy.text()`, their values)."""
    binder = _Binder()
    try:
        sql = _environment(binder).from_string(_sql_source(query)).render(variables)
    except TemplateError as exc:
        raise TemplateFailed(_message(exc)) from None
    return sql, binder.params


def readable(sql: str) -> str:
    """The SQL text of `render_sql` as a person reads it (for logs): colons unescaped."""
    return sql.replace("\\:", ":")


def render_text(template: str, variables: dict[str, Any]) -> str:
    """A plain string (a URL parameter, an object key...) rendered in the same sandbox."""
    try:
        return _environment().from_string(template).render(variables)
    except TemplateError as exc:
        raise TemplateFailed(_message(exc)) from None
