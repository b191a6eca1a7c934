"""One HTTP attempt of a delivery: POST the body to the checked addresses, within the
subscription's timeout, and tell what happened. Never raises for what the receiver does.

Connections are kept alive and reused between deliveries while a worker runs (`connections()`,
entered by the worker for its lifetime), and the TLS context (~20 ms of CPU to build, more than
a delivery) is built once per process. Reuse keeps the SSRF guard's property that a request goes
only to an address checked for it: the request URL carries the checked address, so a pooled
connection is one to that very address; and clients are kept per scheme and host *name*, so a
TLS connection verified for one name is never reused for another name that resolves to the same
address. Outside a worker (a direct call), each attempt opens and closes a client of its own.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import ssl
import sys
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from imas.notify.destinations import Target

MAX_BODY_READ = 64 * 1024  # bytes of the answer read at most
EXCERPT_CHARS = 2000  # of which this much is kept
MAX_CLIENTS = 256  # host names with pooled connections, per worker (least recently used go)
# An idle connection is closed after this, before the 5 s of common servers (uvicorn, Node,
# Apache) can close it under a request being sent; a busy receiver keeps its connections.
KEEPALIVE_SECONDS = 4.0


@dataclass(frozen=True)
class Outcome:
    ok: bool
    duration_ms: int
    response_code: int | None = None
    response_body: str | None = None
    error: str | None = None


def _remember_sniffio_is_absent() -> None:
    """httpcore imports `sniffio` on every request to tell asyncio from trio. When it is not
    installed, each of those imports searches `sys.path` again (~0.3 ms, a third of the CPU
    of a kept-alive delivery); record its absence once instead (`None` in `sys.modules` makes
    the import fail at once, which every user of it handles)."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_remember_sniffio_is_absent()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """The system's CA bundle as httpx loads it, once per process (SNI and the name to verify
    are set per connection, so one context serves every host)."""
    return httpx.create_ssl_context(trust_env=False)


def _no_cookies() -> CookieJar:
    """A jar that keeps nothing: a kept client must not send a receiver's cookies back to it
    (or anything else) on later deliveries. (Given to the client as a `CookieJar`: httpx would
    copy an `httpx.Cookies` into a jar of its own, without this policy.)"""
    return CookieJar(DefaultCookiePolicy(allowed_domains=[]))


def _client() -> httpx.AsyncClient:
    # trust_env=False: no proxy from the environment sees (or reroutes) a pinned request.
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        cookies=_no_cookies(),
        verify=_ssl_context(),
        limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS),
    )


@dataclass
class _Entry:
    client: httpx.AsyncClient
    users: int = 0
    evicted: bool = False


@dataclass
class _Pool:
    """The clients of one event loop, by (scheme, host name), least recently used first."""

    users: int = 0
    clients: OrderedDict[tuple[str, str], _Entry] = field(default_factory=OrderedDict)

    @asynccontextmanager
    async def client(self, url: httpx.URL) -> AsyncIterator[httpx.AsyncClient]:
        key = (url.scheme, url.host)
        entry = self.clients.get(key)
        if entry is None:
            entry = self.clients[key] = _Entry(_client())
            while len(self.clients) > MAX_CLIENTS:
                _, old = self.clients.popitem(last=False)
                old.evicted = True
                if old.users == 0:
                    await old.client.aclose()
        self.clients.move_to_end(key)
        entry.users += 1
        try:
            yield entry.client
        finally:
            entry.users -= 1
            if entry.evicted and entry.users == 0:
                await entry.client.aclose()

    async def aclose(self) -> None:
        entries = list(self.clients.values())
        self.clients.clear()
        for entry in entries:
            await entry.client.aclose()


_pools: dict[asyncio.AbstractEventLoop, _Pool] = {}


@asynccontextmanager
async def connections() -> AsyncIterator[None]:
    """Keep connections alive for the sends of this event loop until the block ends (the last
    of nested or concurrent blocks closes them)."""
    loop = asyncio.get_running_loop()
    pool = _pools.setdefault(loop, _Pool())
    pool.users += 1
    try:
        yield
    finally:
        pool.users -= 1
        if pool.users == 0:
            _pools.pop(loop, None)
            await pool.aclose()


@asynccontextmanager
async def _client_for(url: httpx.URL) -> AsyncIterator[httpx.AsyncClient]:
    pool = _pools.get(asyncio.get_running_loop())
    if pool is not None:
        async with pool.client(url) as client:
            yield client
        return
    async with _client() as client:
        yield client


def _pinned(url: httpx.URL, target: Target, address: str) -> tuple[httpx.URL, dict[str, str]]:
    """The URL with the checked address in place of the name (Host and TLS SNI keep the name,
    in its ASCII form)."""
    if address == target.host:
        return url, {}
    name = url.raw_host.decode("ascii")
    return url.copy_with(host=address), {"Host": name if url.port is None else f"{name}:{url.port}"}


async def _read_excerpt(response: httpx.Response) -> str:
    data = b""
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= MAX_BODY_READ:
            break
    return data[:MAX_BODY_READ].decode("utf-8", errors="replace")[:EXCERPT_CHARS]


async def send(
    url: str, body: bytes, headers: httpx.Headers, timeout_seconds: float, target: Target
) -> Outcome:
    """POST to each of the target's addresses in turn until one accepts the connection."""
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    parsed = httpx.URL(url)
    deadline = started + timeout_seconds
    error = "no address to connect to"
    async with _client_for(parsed) as client:
        for address in target.addresses:
            left = deadline - time.perf_counter()
            if left <= 0:
                return Outcome(False, elapsed(), error=f"timed out after {timeout_seconds:g} s")
            pinned, extra = _pinned(parsed, target, address)
            merged = httpx.Headers(headers)
            merged.update(extra)
            request = client.build_request(
                "POST",
                pinned,
                content=body,
                headers=merged,
                timeout=httpx.Timeout(left),
                extensions={"sni_hostname": parsed.raw_host.decode("ascii")} if extra else {},
            )
            try:
                async with asyncio.timeout(left):  # the whole exchange, however slow it drips
                    response = await client.send(request, stream=True)
                    try:
                        excerpt = await _read_excerpt(response)
                    finally:
                        await response.aclose()
            except httpx.ConnectError as exc:
                error = f"cannot connect to {address}: {exc or type(exc).__name__}"
                continue  # the next address of the name
            except (httpx.TimeoutException, TimeoutError):
                return Outcome(False, elapsed(), error=f"timed out after {timeout_seconds:g} s")
            except httpx.HTTPError as exc:
                return Outcome(False, elapsed(), error=f"{type(exc).__name__}: {exc}")
            code = response.status_code
            ok = 200 <= code < 300
            return Outcome(
                ok,
                elapsed(),
                response_code=code,
                response_body=excerpt,
                error=None if ok else f"HTTP {code} (a 2xx answer was expected)",
            )
    return Outcome(False, elapsed(), error=error)
