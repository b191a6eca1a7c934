"""Webhook tests: an app that may reach local receivers (`IMAS_WEBHOOK_ALLOW_PRIVATE`, as an
admin would allow it for a receiver on the same host), workers run in-process, and helpers to
read deliveries back from the database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from imas.api.app import create_app
from imas.config import Settings
from imas.db import Database, acting_in
from imas.jobs import store
from imas.jobs.worker import Worker
from imas.notify.models import DeliveryStatus, WebhookDelivery
from tests.conftest import client_for
from tests.factories import Actor
from tests.notify.receivers import Receiver

SEED_SUBSCRIPTION = {
    "name": "ITSM Integration",
    "url": "https://your-system.com/webhooks/incidents",
    "events": ["INCIDENT_CREATED", "INCIDENT_RESOLVED"],
    "headers": {"X-API-Key": "your-api-key", "Content-Type": "application/json"},
    "timeout_seconds": 30,
    "max_retries": 3,
}
SETTLED = frozenset({DeliveryStatus.SUCCESS, DeliveryStatus.DEAD})


@pytest.fixture(scope="session")
def notify_settings(make_settings: Callable[..., Settings], settings: Settings) -> Settings:
    return make_settings(webhook_allow_private=True, secret_key=settings.secret_key)


@pytest.fixture(scope="session")
def app(notify_settings: Settings, db: Database) -> FastAPI:
    """One app for the session (building one costs more than most of these tests)."""
    return create_app(notify_settings, db)


@pytest.fixture(scope="session")
def strict_app(settings: Settings, db: Database) -> FastAPI:
    """An app with the SSRF guard on (the default)."""
    assert not settings.webhook_allow_private
    return create_app(settings, db)


@pytest.fixture
async def strict_client(strict_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(strict_app) as http:
        yield http


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "BACKOFF_BASE_SECONDS", 0.0)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    running = await Receiver().start()
    yield running
    await running.stop()


Subscribe = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def subscribe(client: httpx.AsyncClient, admin: Actor) -> Subscribe:
    """Create a subscription through the API as `admin`; returns the create answer (secret)."""

    async def create(url: str, events: list[str] | None = None, **fields: Any) -> dict[str, Any]:
        body = {"name": "test receiver", "url": url, "events": events or ["INCIDENT_CREATED"]}
        response = await client.post(
            "/api/v1/webhook-subscriptions/", headers=admin.headers, json=body | fields
        )
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return create


async def deliveries(db: Database, org_id: uuid.UUID) -> list[WebhookDelivery]:
    async with db.read_sessions() as session, _acting(session, org_id):
        rows = await session.scalars(
            select(WebhookDelivery)
            .options(selectinload(WebhookDelivery.attempt_log))
            .order_by(WebhookDelivery.created_at)
        )
        return list(rows.all())


class _acting:
    def __init__(self, session: Any, org_id: uuid.UUID) -> None:
        self._cm = acting_in(session, org_id)

    async def __aenter__(self) -> None:
        self._cm.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)


async def run_worker(
    db: Database,
    settings: Settings,
    until: Callable[[], Awaitable[bool]],
    *,
    seconds: float = 15,
    concurrency: int = 4,
) -> None:
    """Run a worker in this process until `until()` holds (checked every 50 ms)."""
    worker = Worker(db, settings, concurrency=concurrency, poll_interval=0.05)
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(seconds):
            while not await until():  # noqa: ASYNC110  (the database is the truth)
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await task


async def deliver_all(
    db: Database, settings: Settings, org_id: uuid.UUID, *, count: int | None = None, **kw: Any
) -> list[WebhookDelivery]:
    """Run a worker until every delivery of the org (at least `count`) is settled."""

    async def settled() -> bool:
        rows = await deliveries(db, org_id)
        enough = count is None or len(rows) >= count
        return enough and bool(rows) and all(d.status in SETTLED for d in rows)

    await run_worker(db, settings, settled, **kw)
    return await deliveries(db, org_id)
