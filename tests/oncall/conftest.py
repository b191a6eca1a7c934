"""On-call tests: an app whose pages may reach local receivers, a fake clock for the job
runner, and a driver that runs the jobs due at the clock's time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from imas.api.app import create_app
from imas.config import Settings
from imas.db import Database
from imas.jobs import store
from imas.jobs.worker import Worker
from tests.conftest import client_for
from tests.factories import Actor, make_actor
from tests.notify.receivers import Receiver


@pytest.fixture(scope="session")
def oncall_settings(make_settings: Callable[..., Settings], settings: Settings) -> Settings:
    return make_settings(webhook_allow_private=True, secret_key=settings.secret_key)


@pytest.fixture(scope="session")
def app(oncall_settings: Settings, db: Database) -> FastAPI:
    return create_app(oncall_settings, db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


@pytest.fixture
async def alice(db: Database, admin: Actor) -> Actor:
    return await make_actor(db, admin.org, role="responder", username=None)


@pytest.fixture
async def bob(db: Database, admin: Actor) -> Actor:
    return await make_actor(db, admin.org, role="responder")


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    running = await Receiver().start()
    yield running
    await running.stop()


@pytest.fixture
async def other_receiver() -> AsyncIterator[Receiver]:
    running = await Receiver().start()
    yield running
    await running.stop()


class Clock:
    """What the job runner takes for now; moves only when told."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(datetime.now(UTC) + timedelta(seconds=1))
    monkeypatch.setattr(store, "utcnow", fake)
    monkeypatch.setattr(store, "BACKOFF_BASE_SECONDS", 0.0)
    return fake


async def run_due(db: Database, settings: Settings) -> list[str]:
    """Run every job due at the clock's time (and those they make due), one after the other,
    as a worker would; returns the kinds run."""
    worker = Worker(db, settings, name="test-driver")
    ran: list[str] = []
    while claimed := await store.claim(db, worker.name, 60, 10):
        for job in claimed:
            await worker._handle(job)
            ran.append(job.kind)
    return ran


async def run_worker_until(
    db: Database, settings: Settings, until: Callable[[], Awaitable[bool]], seconds: float = 15
) -> None:
    """A real worker, started afresh (as after a restart), until `until()` holds."""
    worker = Worker(db, settings, concurrency=2, poll_interval=0.05)
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(seconds):
            while not await until():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await task


async def api(
    client: httpx.AsyncClient, actor: Actor, method: str, url: str, status: int, **kw: Any
) -> Any:
    response = await client.request(method, url, headers=actor.headers, **kw)
    assert response.status_code == status, response.text
    return response.json() if response.content else None
