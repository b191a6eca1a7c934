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


@dataclass
class Counting:
    """Answers every request 200 (setting a cookie) on a kept-alive connection; counts
    connections and requests."""

    port: int = field(default_factory=free_port)
    connections: int = 0
    requests: int = 0
    hosts: list[str] = field(default_factory=list)
    cookies: list[str | None] = field(default_factory=list)  # the Cookie header of each
    _server: asyncio.Server | None = None

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{PATH}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        with contextlib.suppress(Exception):
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.decode("latin-1").split("\r\n")
                headers = {
                    k.strip().lower(): v.strip()
                    for k, _, v in (x.partition(":") for x in lines[1:])
                }
                await reader.readexactly(int(headers.get("content-length") or 0))
                self.requests += 1
                self.hosts.append(headers.get("host", ""))
                self.cookies.append(headers.get("cookie"))
                writer.write(
                    b"HTTP/1.1 200 OK\r\nSet-Cookie: session=s3cret; Path=/\r\n"
                    b"Content-Length: 2\r\n\r\n{}"
                )
                await writer.drain()
        writer.close()

    async def start(self) -> Counting:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for _ in range(3):
                await asyncio.sleep(0)
