"""Integration tests: jobs run by a worker in this process until the integration's jobs are
settled (the way tests/notify runs deliveries), with retries made immediate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from sqlalchemy import select

from imas.api.app import create_app
from imas.config import Settings
from imas.db import Database
from imas.jobs import store
from imas.jobs.models import Job, JobStatus
from imas.jobs.worker import Worker
from tests.conftest import client_for

SETTLED = frozenset({JobStatus.SUCCEEDED, JobStatus.DEAD})


@pytest.fixture(scope="session")
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """The fake Slack and JIRA listen on loopback, which the SSRF guard refuses by default: an
    administrator's IMAS_WEBHOOK_ALLOW_PRIVATE allows it here (the guard's own tests use
    `strict_settings`)."""
    return make_settings(webhook_allow_private=True)


@pytest.fixture
def strict_settings(make_settings: Callable[..., Settings], settings: Settings) -> Settings:
    """The same deployment with the SSRF guard on (the default)."""
    return make_settings(webhook_allow_private=False, secret_key=settings.secret_key)


@pytest.fixture
async def strict_client(
    db: Database, strict_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app with the SSRF guard on."""
    async with client_for(create_app(strict_settings, db)) as http:
        yield http


@pytest.fixture(autouse=True)
def _fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "BACKOFF_BASE_SECONDS", 0.0)


async def jobs_of(db: Database, prefix: str) -> list[Job]:
    async with db.read_sessions() as session:
        rows = await session.scalars(
            select(Job).where(Job.kind.startswith(prefix)).order_by(Job.created_at)
        )
        return list(rows.all())


async def run_worker(
    db: Database, settings: Settings, until: Callable[[], Awaitable[bool]], seconds: float = 20
) -> None:
    worker = Worker(db, settings, concurrency=4, poll_interval=0.05)
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(seconds):
            while not await until():  # noqa: ASYNC110  (the database is the truth)
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await task


async def settle(db: Database, settings: Settings, prefix: str) -> list[Job]:
    """Run a worker until every job whose kind starts with `prefix` succeeded or died."""

    async def done() -> bool:
        return all(job.status in SETTLED for job in await jobs_of(db, prefix))

    await run_worker(db, settings, done)
    return await jobs_of(db, prefix)
