"""One HTTP attempt of a delivery: POST the body to the checked addresses, within the
subscription's timeout, and tell what happened. Never raises for what the receiver does."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from imas.notify.destinations import Target

MAX_BODY_READ = 64 * 1024  # bytes of the answer read at most
EXCERPT_CHARS = 2000  # of which this much is kept


@dataclass(frozen=True)
class Outcome:
    ok: bool
    duration_ms: int
    response_code: int | None = None
    response_body: str | None = None
    error: str | None = None


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
    # trust_env=False: no proxy from the environment sees (or reroutes) a pinned request.
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
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
