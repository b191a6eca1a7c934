from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from imas.config import Settings
from imas.db import Database
from imas.jobs.worker import Worker
from tests.automation.fake_remotes import FakeRemotes
from tests.automation.fake_service import FakeService
from tests.incidents.factories import make_service


@pytest.fixture(scope="module")
async def remotes() -> AsyncIterator[FakeRemotes]:
    server = FakeRemotes()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def fake(remotes: FakeRemotes) -> FakeRemotes:
    remotes.reset()
    return remotes


async def _worker(db: Database, settings: Settings, retry_seconds: float) -> AsyncIterator[Worker]:
    backoff = settings.model_copy(update={"automation_retry_seconds": retry_seconds})
    running = Worker(db, backoff, concurrency=4, poll_interval=0.05)
    task = asyncio.create_task(running.run())
    yield running
    running.stop()
    await task


@pytest.fixture
async def worker(db: Database, settings: Settings) -> AsyncIterator[Worker]:
    """A job worker running beside the test (what `imas serve` runs in-process), with a quick
    retry backoff."""
    async for running in _worker(db, settings, 0.05):
        yield running


@pytest.fixture
async def slow_retry_worker(db: Database, settings: Settings) -> AsyncIterator[Worker]:
    """A worker whose retry backoff (0.5 s) outlasts a poll of `POST .../remediate/` (0.1 s):
    the call surely sees the run waiting to retry."""
    async for running in _worker(db, settings, 0.5):
        yield running


@pytest.fixture(scope="module")
async def service_server() -> AsyncIterator[FakeService]:
    server = FakeService()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def svc(service_server: FakeService) -> FakeService:
    service_server.reset()
    return service_server


@pytest.fixture
async def api_service(db, admin):
    return await make_service(db, admin.org, name="api-service")
