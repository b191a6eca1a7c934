"""Reusable list helpers: `search`, `ordering` and `field__gte`-style filters on a select."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, or_

from imas.errors import ValidationFailed


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def apply_search(stmt: Select[Any], term: str | None, columns: list[Any]) -> Select[Any]:
    """Case-insensitive substring match of `term` in any of `columns`."""
    if not term or not term.strip():
        return stmt
    pattern = _like_pattern(term.strip())
    return stmt.where(or_(*(col.ilike(pattern, escape="\\") for col in columns)))


def apply_ordering(
    stmt: Select[Any],
    ordering: str | None,
    fields: Mapping[str, Any],
    default: str,
    tiebreaker: Any,
) -> Select[Any]:
    """Order by a comma-separated list of allowed names, `-` for descending.

    `tiebreaker` (the primary key) is always last so pages never overlap or skip rows.
    """
    names = [n.strip() for n in (ordering or default).split(",") if n.strip()]
    clauses: list[ColumnElement[Any]] = []
    for name in names:
        key = name.removeprefix("-")
        if key not in fields:
            allowed = ", ".join(sorted(fields))
            raise ValidationFailed.field(
                "ordering", f"cannot order by '{key}'; use one of: {allowed}"
            )
        column = fields[key]
        clauses.append(column.desc() if name.startswith("-") else column.asc())
    return stmt.order_by(*clauses, tiebreaker)


def apply_range(
    stmt: Select[Any],
    column: Any,
    *,
    gte: Any = None,
    lte: Any = None,
    gt: Any = None,
    lt: Any = None,
) -> Select[Any]:
    if gte is not None:
        stmt = stmt.where(column >= gte)
    if lte is not None:
        stmt = stmt.where(column <= lte)
    if gt is not None:
        stmt = stmt.where(column > gt)
    if lt is not None:
        stmt = stmt.where(column < lt)
    return stmt


def split_csv(value: str | None) -> list[str]:
    """`a,b , c` -> `["a", "b", "c"]` for `field__in` filters."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]
