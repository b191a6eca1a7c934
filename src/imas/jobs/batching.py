"""Group commit for handlers: calls made while a batch is being written go together in the next.

Under load many jobs of one kind start, or finish, at the same moment. Reading or writing each
one's rows in its own transaction costs, every time, a connection check, BEGIN, one round trip
per statement and COMMIT. A `Coalescer` turns concurrent calls into calls of a batch function:
the first call starts a batch at once (nothing waits when the worker is idle); calls made while
that batch runs wait and form the next one. Each caller gets its own result, or the batch's
exception: a batch fails or commits as a whole, so a handler whose batch failed fails its
attempt (and the job is retried) exactly as if it had written alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_BATCH = 100


class Coalescer(Generic[T, R]):
    def __init__(
        self, run: Callable[[list[T]], Awaitable[Sequence[R]]], max_batch: int = MAX_BATCH
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                results = await self._run([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():  # (a caller cut off meanwhile has cancelled it)
                        future.set_exception(exc)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
