"""DRF-style page-number pagination: `?page=&page_size=` -> `{count, next, previous, results}`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.errors import NotFound

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

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


def page_params(
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
