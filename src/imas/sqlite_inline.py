"""SQLite write connections that run on the event loop's thread instead of aiosqlite's.

SQLite has one writer at a time. Through aiosqlite every statement of a write transaction is a
round trip to the connection's thread and back through the event loop, and a busy loop (a few
hundred requests in flight) takes milliseconds to come back: the write lock is held for the
whole time, and the next writer waits on it. A write transaction's statements take microseconds
here, so they run inline: the transaction never yields while it holds the lock.

The one wait that may be long, for another connection's write lock, must not block the loop
(that connection may be ours, needing the loop to finish): these connections have no busy
timeout, and a statement refused with SQLITE_BUSY is retried after an asynchronous sleep until
`busy_timeout_ms` has passed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import aiosqlite

BUSY_RETRY_SECONDS = 0.001
BUSY_RETRY_MAX_SECONDS = 0.02


class _Inline:
    """Stands in for aiosqlite's queue to its thread (SQLAlchemy puts calls on it directly)."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            if future is not None and not future.done():
                future.set_exception(exc)
        else:
            if future is not None and not future.done():
                future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An `aiosqlite.Connection` whose calls run inline (no thread)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], busy_timeout_ms: int) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _Inline()  # type: ignore[assignment]
        self._busy_timeout = busy_timeout_ms / 1000

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._connect().__await__()

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        deadline: float | None = None
        pause = BUSY_RETRY_SECONDS
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                now = time.monotonic()
                deadline = deadline or now + self._busy_timeout
                if now >= deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, BUSY_RETRY_MAX_SECONDS)

    def stop(self) -> asyncio.Future[Any] | None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        return None

    async def close(self) -> None:
        self.stop()


def connector(database: str, busy_timeout_ms: int) -> Callable[[], Any]:
    """`async_creator` for `create_async_engine`: inline connections to the file `database`."""

    async def connect() -> InlineConnection:
        return await InlineConnection(
            partial(
                sqlite3.connect, database, timeout=0, check_same_thread=False, isolation_level=None
            ),
            busy_timeout_ms,
        )

    return connect
