"""The data layer: SQLite settings, write transactions that wait instead of failing, UTC times."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from imas.db import Database
from imas.orgs.models import Organization
from tests.factories import make_org


@pytest.fixture
def sqlite_only(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite-specific behaviour")


@pytest.mark.usefixtures("sqlite_only")
class TestSQLite:
    async def test_wal_foreign_keys_and_busy_timeout(self, db: Database):
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() >= 5000

    async def test_concurrent_read_then_write_transactions_wait_instead_of_failing(self, db):
        """Each writer reads first, then writes: with deferred BEGIN this raises 'locked'."""
        org = await make_org(db)

        async def rename(i: int) -> None:
            async with db.transaction() as session:
                row = await session.get(Organization, org.id)
                assert row is not None
                await asyncio.sleep(0.01)
                row.name = f"renamed {i}"

        await asyncio.gather(*(rename(i) for i in range(8)))
        async with db.transaction(write=False) as session:
            name = await session.scalar(select(Organization.name).where(Organization.id == org.id))
        assert name.startswith("renamed ")


class TestTimes:
    async def test_times_come_back_as_utc(self, db: Database):
        org = await make_org(db)
        paris = timezone(timedelta(hours=1))
        async with db.transaction() as session:
            row = await session.get(Organization, org.id)
            row.created_at = datetime(2026, 2, 5, 19, 30, tzinfo=paris)
        async with db.read_sessions() as session:
            stored = await session.scalar(
                select(Organization.created_at).where(Organization.id == org.id)
            )
        assert stored == datetime(2026, 2, 5, 18, 30, tzinfo=UTC)
        assert stored.tzinfo is not None

    async def test_naive_times_are_refused(self, db: Database):
        org = await make_org(db)
        async with db.write_sessions() as session:
            row = await session.get(Organization, org.id)
            row.created_at = datetime(2026, 2, 5, 18, 30)
            with pytest.raises(StatementError, match="naive datetime"):
                await session.flush()
