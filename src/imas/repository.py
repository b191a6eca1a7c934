"""Look-ups every domain repository shares. The session's tenancy guard scopes them (`imas.db`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import ORMOption

from imas.db import Database, is_unique_violation
from imas.errors import IMASError, NotFound

T = TypeVar("T")


async def get_or_404(
    session: AsyncSession,
    model: type[T],
    ident: uuid.UUID | str,
    kind: str,
    options: Sequence[ORMOption] = (),
) -> T:
    """The `model` row with this id in the session's organization, or NotFound (404)."""
    try:
        key = ident if isinstance(ident, uuid.UUID) else uuid.UUID(str(ident))
    except ValueError:
        raise NotFound.of(kind, ident) from None
    id_column: Any = model.id  # type: ignore[attr-defined]
    found = await session.scalar(select(model).where(id_column == key).options(*options))
    if found is None:
        raise NotFound.of(kind, ident)
    return found


async def stream_in_org(db: Database, org_id: uuid.UUID, stmt: Select[Any]) -> AsyncIterator[Any]:
    """The rows of `stmt` from a read session of their own, bound to `org_id`.

    For streamed bodies (CSV): they are sent after the request's session has closed.
    """
    async with db.read_sessions() as session:
        session.info["organization_id"] = org_id
        result = await session.stream_scalars(stmt.execution_options(yield_per=500))
        async for row in result:
            yield row


async def save_unique(
    session: AsyncSession, change: Callable[[], None], conflict: IMASError
) -> None:
    """Make `change` (add or edit rows) and flush it in a savepoint: a unique constraint it
    violates raises `conflict` (a 409) instead of failing the whole transaction. The change is
    made inside the savepoint because `begin_nested()` first flushes what is pending outside it,
    where a violation would roll back everything (a 500)."""
    try:
        async with session.begin_nested():
            change()
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise conflict from None
