"""Real HTTP receivers on 127.0.0.1 for the delivery tests: a uvicorn + Starlette app that
records what it gets, and a socket that accepts and never answers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import Counter
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PATH = "/webhooks/incidents"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]  # lower-case names
    body: bytes
    at: float  # time.monotonic() on arrival


@dataclass
class Receiver:
    """Answers `status` (or the next of `statuses`) after `delay` seconds; records each request
    as it arrives."""

    port: int = field(default_factory=free_port)
    status: int = 200
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    _server: uvicorn.Server | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    def event_ids(self) -> Counter[str]:
        return Counter(r.headers["webhook-id"] for r in self.received)

    async def _endpoint(self, request: Request) -> JSONResponse:
        arrived = Received(dict(request.headers), await request.body(), time.monotonic())
        self.received.append(arrived)
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else self.status
        return JSONResponse({"status": "processed"}, status_code=status)

    async def start(self) -> Receiver:
        app = Starlette(routes=[Route(PATH, self._endpoint, methods=["POST"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server._serve())
        async with asyncio.timeout(5):
            while not self._server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        return self

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 5)


@dataclass
class Silent:
    """Accepts connections, reads, and never answers."""

    port: int = field(default_factory=free_port)
    connections: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{PATH}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        with contextlib.suppress(Exception):
            while await reader.read(65536):
                pass
        writer.close()

    async def start(self) -> Silent:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for _ in range(3):  # let the handlers see their closed connections
                await asyncio.sleep(0)
