"""Rate limits with the `limits` library: in memory, or shared through Redis when configured.

Buckets: `auth` (per client address), `api` (per credential), `webhooks` (per integration),
`anonymous` (per client address). The window state of the last check is kept on the request so
the middleware can send `X-RateLimit-*` on every limited answer, 429 included. When Redis is
unreachable the limiter fails open: refusing incident traffic because a counter is down would be
worse than letting it through.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from starlette.requests import Request

from imas.config import Settings
from imas.errors import RateLimited
from imas.metrics import RATE_LIMITED

log = structlog.get_logger("imas.ratelimit")

Bucket = Literal["auth", "api", "webhooks", "anonymous", "automation"]


@dataclass(frozen=True, slots=True)
class RateState:
    limit: int
    remaining: int
    reset: int


class RateLimiter:
    def __init__(self, settings: Settings) -> None:
        self.enabled = settings.rate_limit_enabled
        storage: Storage
        if settings.redis_url:
            uri = settings.redis_url
            if not uri.startswith("async+"):
                uri = "async+" + uri
            storage = RedisStorage(uri)
        else:
            storage = MemoryStorage()
        self.storage = storage
        self.strategy = FixedWindowRateLimiter(storage)
        self.items: dict[Bucket, RateLimitItem] = {
            "auth": parse(settings.rate_limit_auth),
            "api": parse(settings.rate_limit_api),
            "webhooks": parse(settings.rate_limit_webhooks),
            "anonymous": parse(settings.rate_limit_anonymous),
            "automation": parse(settings.rate_limit_automation),
        }

    async def hit(self, bucket: Bucket, key: str) -> RateState | None:
        if not self.enabled:
            return None
        item = self.items[bucket]
        try:
            allowed = await self.strategy.hit(item, bucket, key)
            stats = await self.strategy.get_window_stats(item, bucket, key)
        except Exception as exc:  # storage down: fail open, loudly
            log.warning("rate_limit_storage_unavailable", error=str(exc))
            return None
        state = RateState(
            limit=item.amount, remaining=max(0, stats.remaining), reset=int(stats.reset_time)
        )
        if not allowed:
            RATE_LIMITED.labels(bucket).inc()
            retry_after = max(1, state.reset - int(time.time()))
            raise RateLimited(retry_after=retry_after, limit=state.limit, reset_at=state.reset)
        return state

    async def check(self, request: Request, bucket: Bucket, key: str) -> None:
        """Count one request against `bucket`/`key` and remember the state for the headers."""
        try:
            state = await self.hit(bucket, key)
        except RateLimited as exc:
            request.state.ratelimit = RateState(
                limit=exc.details["limit"], remaining=0, reset=exc.details["reset"]
            )
            raise
        if state is not None:
            request.state.ratelimit = state


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
