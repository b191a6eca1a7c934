"""Alembic environment: async engines; on PostgreSQL an advisory lock lets many replicas start at once."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from imas.db import JSONType, UTCDateTime, is_mapped_object
from imas.models import metadata

config = context.config
MIGRATION_LOCK_ID = 727_001  # any constant shared by every IMAS process


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write IMAS's column types in plain SQLAlchemy, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and obj is JSONType:
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        include_object=is_mapped_object,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})"))
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def run_offline(url: str) -> None:
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url") or ""
if context.is_offline_mode():
    run_offline(url)
else:
    asyncio.run(_run_async(url))
