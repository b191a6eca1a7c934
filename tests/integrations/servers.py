"""Running a Starlette app on 127.0.0.1 (a free port) for the length of a test."""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn
from starlette.applications import Starlette

from tests.notify.receivers import free_port


class LocalServer:
    def __init__(self) -> None:
        self.port = free_port()
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> Starlette:
        raise NotImplementedError

    async def start(self) -> None:
        config = uvicorn.Config(
            self.app(), host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server._serve())
        async with asyncio.timeout(5):
            while not self._server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 5)
