"""DRF-style page-number pagination: `?page=&page_size=` -> `{count, next, previous, results}`;
and cursor pagination (`?cursor=`) for the lists seed 003 pages that way."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel
from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from imas.errors import NotFound, ValidationFailed

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_INT = 2**31 - 1
"""The largest number a query parameter compared with an integer column (or used as an
offset) may take: beyond it PostgreSQL refuses the value, which must be a 400, not a 500."""

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    count: int
    next: str | None
    previous: str | None
    results: list[T]


@dataclass(frozen=True, slots=True)
class PageParams:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


async def page_params(
    page: Annotated[int, Query(ge=1, description="Page number, from 1")] = 1,
    page_size: Annotated[
        int,
        Query(
            ge=1,
            description=f"Items per page (default {DEFAULT_PAGE_SIZE}, capped at {MAX_PAGE_SIZE})",
        ),
    ] = DEFAULT_PAGE_SIZE,
) -> PageParams:
    return PageParams(page=page, page_size=min(page_size, MAX_PAGE_SIZE))


def _page_url(request: Request, page: int) -> str:
    return str(request.url.include_query_params(page=page))


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    params: PageParams,
    request: Request,
    to_item: Callable[[Any], T],
) -> Page[T]:
    """Run `stmt` (already filtered and ordered) for one page and count the whole selection."""
    counting = select(func.count()).select_from(stmt.order_by(None).subquery())
    # The count must see what the page sees (e.g. a deliberate `all_orgs=True`).
    counting = counting.execution_options(**stmt.get_execution_options())
    count = await session.scalar(counting)
    total = int(count or 0)
    if params.page > 1 and params.offset >= total:
        raise NotFound(
            f"Invalid page: page {params.page} is past the last page of {total} results.",
            code="invalid_page",
            error="Invalid page",
        )
    rows: Sequence[Any] = (
        await session.scalars(stmt.offset(params.offset).limit(params.page_size))
    ).all()
    has_next = params.offset + len(rows) < total
    return Page[T](
        count=total,
        next=_page_url(request, params.page + 1) if has_next else None,
        previous=_page_url(request, params.page - 1) if params.page > 1 else None,
        results=[to_item(row) for row in rows],
    )


def _encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, kinds: Sequence[Any]) -> list[Any]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(kinds):
            raise ValueError
        return [kind(v) for kind, v in zip(kinds, raw, strict=True)]
    except (ValueError, TypeError, binascii.Error):
        raise ValidationFailed.field("cursor", "not a cursor this list gave") from None


def _as_datetime(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _as_uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


CURSOR_KINDS: dict[type, Callable[[Any], Any]] = {
    datetime: _as_datetime,
    uuid.UUID: _as_uuid,
    int: int,
    str: str,
}


@dataclass(frozen=True, slots=True)
class Keyset:
    """A list's fixed order for cursor pagination: its columns (the last one unique, the
    primary key), all ascending or all descending, and their Python types (to read a cursor)."""

    columns: Sequence[Any]
    types: Sequence[type]
    descending: bool = True

    def order(self, stmt: Select[Any]) -> Select[Any]:
        return stmt.order_by(*(c.desc() if self.descending else c.asc() for c in self.columns))

    def after(self, stmt: Select[Any], cursor: str) -> Select[Any]:
        values = _decode_cursor(cursor, [CURSOR_KINDS[t] for t in self.types])
        row = tuple_(*self.columns)
        given = tuple_(
            *(literal(v, type_=c.type) for c, v in zip(self.columns, values, strict=True))
        )
        return stmt.where(row < given if self.descending else row > given)


async def cursor_paginate(
    session: AsyncSession,
    stmt: Select[Any],
    keyset: Keyset,
    request: Request,
    to_item: Callable[[Any], T],
    *,
    cursor: str | None,
    limit: int,
    offset: int = 0,
) -> Page[T]:
    """Seed 003's cursor pagination: `next` carries `?cursor=` (the position after the page's
    last row), so a page never repeats or skips rows when new ones arrive meanwhile. `stmt`
    selects one entity, filtered, not yet ordered; `count` is the whole selection's."""
    counting = select(func.count()).select_from(stmt.order_by(None).subquery())
    total = int(await session.scalar(counting) or 0)
    page_stmt = keyset.order(keyset.after(stmt, cursor) if cursor else stmt)
    rows: Sequence[Any] = (await session.scalars(page_stmt.offset(offset).limit(limit + 1))).all()
    more, rows = len(rows) > limit, rows[:limit]
    next_url = None
    if more and rows:
        last = rows[-1]
        values = [getattr(last, c.key) for c in keyset.columns]
        next_url = str(
            request.url.remove_query_params(["cursor", "offset"]).include_query_params(
                cursor=_encode_cursor([str(v) if isinstance(v, uuid.UUID) else v for v in values])
            )
        )
    return Page[T](count=total, next=next_url, previous=None, results=[to_item(r) for r in rows])
