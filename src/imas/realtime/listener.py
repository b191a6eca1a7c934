"""On PostgreSQL, one LISTEN connection per process feeds the broker with every process's
messages (this one's included). On SQLite the sink hands messages to the broker directly."""

from __future__ import annotations

import asyncio
from typing import Any

from imas.db import Database, listen
from imas.realtime.broker import BROKER, CHANNEL

_connection: Any = None
_lock: asyncio.Lock | None = None


async def ensure(db: Database) -> None:
    global _connection, _lock
    if db.dialect != "postgresql" or (_connection is not None and not _connection.is_closed()):
        return
    if _lock is None:
        _lock = asyncio.Lock()
    async with _lock:
        if _connection is None or _connection.is_closed():
            _connection = await listen(db, CHANNEL, BROKER.deliver_notification)


async def close() -> None:
    global _connection, _lock
    connection, _connection, _lock = _connection, None, None
    if connection is not None and not connection.is_closed():
        await connection.close()
