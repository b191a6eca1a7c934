"""What every catalog use case shares: saving under a unique name, deleting what may be in use."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import is_unique_violation
from imas.errors import Conflict


async def save_named(session: AsyncSession, obj: Any, thing: str) -> None:
    """Add (or update) `obj` and flush it in a savepoint; its name taken in this organization is
    a 409 "<thing> already exists". The unique constraint decides, so a concurrent request
    creating the same name cannot slip past a look-up made beforehand."""
    name = obj.name  # read now: a rolled-back savepoint expires what it changed
    try:
        async with session.begin_nested():
            session.add(obj)
            await session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise Conflict(
            f"A {thing.lower()} named '{name}' already exists in this organization; "
            "choose another name or edit the existing one.",
            error=f"{thing} already exists",
            details={"name": [f"'{name}' is taken"]},
        ) from None


async def delete(session: AsyncSession, obj: Any, thing: str, in_use: str) -> None:
    """Delete `obj`; a row elsewhere that forbids it (ON DELETE RESTRICT) is a 409 `in_use`."""
    try:
        async with session.begin_nested():
            await session.delete(obj)
            await session.flush()
    except IntegrityError:
        raise Conflict(
            f"This {thing.lower()} cannot be deleted: {in_use}.",
            error=f"{thing} in use",
            code="in_use",
        ) from None
