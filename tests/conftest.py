"""Test set-up: one migrated database per run (SQLite, or PostgreSQL with IMAS_TEST_DATABASE_URL),
emptied after every test, and an HTTP client on a fresh app for each test."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from imas.api.app import create_app
from imas.config import Settings
from imas.db import Database
from imas.migrations.runner import upgrade
from imas.models import metadata
from imas.realtime import listener as realtime_listener
from tests.factories import Actor, make_actor

PG_URL = os.environ.get("IMAS_TEST_DATABASE_URL", "")


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> None:
    """Argon2 with its lowest cost: same code path, a fraction of the time per test user."""
    from argon2 import PasswordHasher

    from imas.auth import passwords

    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    passwords._DUMMY_HASH = passwords._hasher.hash("dummy")


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if PG_URL:
        await _reset_postgres(PG_URL)
        url = PG_URL
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'imas-test.db'}"
    import anyio.to_thread

    await anyio.to_thread.run_sync(upgrade, url)
    return url


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def make_settings(database_url: str, var_dir: Path) -> Callable[..., Settings]:
    """Settings for a test app; keyword arguments override (e.g. small rate limits)."""

    def build(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "database_url": database_url,
            "var_dir": var_dir,
            "secret_key": "test-" + secrets.token_hex(16),
            "auto_migrate": False,
            "rate_limit_api": "100000/hour",
            "rate_limit_auth": "100000/minute",
            "log_level": "WARNING",
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    return build


@pytest.fixture(scope="session")
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture(scope="session")
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await realtime_listener.close()
    await database.dispose()


@pytest.fixture(autouse=True)
async def _empty_tables(db: Database) -> AsyncIterator[None]:
    yield
    # DELETE, children first, on both databases: PostgreSQL's TRUNCATE swaps every table's files
    # and syncs them to disk, some 25x slower on the few rows a test leaves.
    async with db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(table.delete())


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, db)


def client_for(app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http
    await app.state.intake.close()  # what the app's lifespan does at shutdown


@pytest.fixture
async def admin(db: Database) -> Actor:
    """An admin of a fresh organization, with an API token."""
    return await make_actor(db, role="admin")


@pytest.fixture
async def outsider(db: Database) -> Actor:
    """An admin of another organization."""
    return await make_actor(db, role="admin")
