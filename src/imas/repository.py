"""Look-ups every domain repository shares. The session's tenancy guard scopes them (`imas.db`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.interfaces import ORMOption

from imas.errors import NotFound

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
