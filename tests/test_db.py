"""The data layer: SQLite settings, write transactions that wait instead of failing, UTC times."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import StatementError

from imas import sqlite_checkpoint, sqlite_inline
from imas.db import Database, memoize_lookups, memoized, new_id
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

    async def test_a_writer_waits_for_the_write_lock_without_stopping_the_loop(self, db):
        """Writes run inline on the event loop (imas.sqlite_inline): while another connection
        holds the write lock, the writer waits asynchronously and everything else goes on."""
        org = await make_org(db)
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.005)

        async def rename() -> None:
            async with db.transaction() as session:
                row = await session.get(Organization, org.id)
                assert row is not None
                row.name = "renamed by the waiting writer"

        holder = db.engine.execution_options(sqlite_immediate=True)
        running = asyncio.create_task(ticker())
        async with holder.begin() as conn:  # another connection holds the write lock
            await conn.execute(
                update(Organization).where(Organization.id == org.id).values(name="held")
            )
            waiting = asyncio.create_task(rename())
            await asyncio.sleep(0.3)
            assert not waiting.done()
            assert ticks >= 20  # the loop kept running while the writer waited
        await asyncio.wait_for(waiting, 5)
        stop.set()
        await running
        async with db.transaction(write=False) as session:
            name = await session.scalar(select(Organization.name).where(Organization.id == org.id))
        assert name == "renamed by the waiting writer"

    async def test_an_inline_writer_gives_up_after_the_busy_timeout(self, db, tmp_path):
        path = str(tmp_path / "locked.db")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("CREATE TABLE t (x INTEGER)")
        holder.execute("BEGIN IMMEDIATE")
        connection = await sqlite_inline.connector(path, busy_timeout_ms=200)()
        try:
            started = time.monotonic()
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                await connection.execute("BEGIN IMMEDIATE")
            assert 0.2 <= time.monotonic() - started < 2
            holder.execute("COMMIT")
            await connection.execute("BEGIN IMMEDIATE")
            await connection.execute("INSERT INTO t VALUES (1)")
            await connection.commit()
        finally:
            await connection.close()
            holder.close()
        assert sqlite3.connect(path).execute("SELECT x FROM t").fetchall() == [(1,)]

    async def test_a_thread_checkpoints_the_wal_so_commits_do_not(self, make_settings, tmp_path):
        """Committed rows reach the database file itself within moments, while the commits'
        own automatic checkpoint waits for 10,000 pages; disposing stops the thread."""
        path = tmp_path / "checkpointed.db"
        database = Database(make_settings(database_url=f"sqlite+aiosqlite:///{path}"))
        try:
            async with database.transaction() as session:
                pages = (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
                await session.execute(text("CREATE TABLE t (x INTEGER)"))
                await session.execute(text("INSERT INTO t VALUES (1), (2)"))
            assert pages == sqlite_checkpoint.BACKSTOP_PAGES

            def in_file_alone() -> list[tuple[int]]:
                """The rows of a copy of the database file without its WAL."""
                copy = tmp_path / "copy.db"
                copy.write_bytes(path.read_bytes())
                try:
                    return sqlite3.connect(copy).execute("SELECT x FROM t").fetchall()
                except sqlite3.OperationalError:  # no such table: still only in the WAL
                    return []

            for _ in range(100):  # 5 s
                if in_file_alone() == [(1,), (2,)]:
                    break
                await asyncio.sleep(0.05)
            assert in_file_alone() == [(1,), (2,)]
            assert database.checkpointer is not None
            thread = database.checkpointer._thread
        finally:
            await database.dispose()
        assert not thread.is_alive()


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

    async def test_sqlite_stores_times_as_sqlalchemy_text_and_orders_them(self, db: Database):
        """Rows written before the faster converters must compare and sort with new ones."""
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite stores times as text")
        first, second = await make_org(db), await make_org(db)
        async with db.transaction() as session:
            (await session.get(Organization, first.id)).created_at = datetime(
                2026, 2, 5, 18, 30, 0, 7, tzinfo=UTC
            )
            (await session.get(Organization, second.id)).created_at = datetime(
                2026, 2, 5, 19, 30, tzinfo=timezone(timedelta(hours=2))
            )
        async with db.read_sessions() as session:
            raw = await session.execute(
                text("SELECT created_at FROM organizations WHERE id IN (:a, :b) ORDER BY 1"),
                {"a": first.id.hex, "b": second.id.hex},
            )
            assert [r[0] for r in raw] == [
                "2026-02-05 17:30:00.000000",
                "2026-02-05 18:30:00.000007",
            ]
            # A value SQLite wrote itself (CURRENT_TIMESTAMP: no fraction) reads back too.
            await session.execute(
                text("UPDATE organizations SET created_at = '2026-02-05 18:30:01' WHERE id = :a"),
                {"a": first.id.hex},
            )
            stored = await session.scalar(
                select(Organization.created_at).where(Organization.id == first.id)
            )
        assert stored == datetime(2026, 2, 5, 18, 30, 1, tzinfo=UTC)


class TestMemoizedLookups:
    async def test_a_memoizing_transaction_reads_each_lookup_once_per_organization(self, db):
        first, second = await make_org(db), await make_org(db)
        loads: list[str] = []

        async def load_name(org_id) -> str:
            loads.append(str(org_id))
            async with db.transaction(write=False) as other:
                found = select(Organization.name).where(Organization.id == org_id)
                return str(await other.scalar(found))

        async with db.transaction() as session:
            memoize_lookups(session)
            for org in (first, second, first, second):
                session.info["organization_id"] = org.id
                name = await memoized(session, ("name",), lambda org=org: load_name(org.id))
                assert name == org.name
        assert loads == [str(first.id), str(second.id)]

    async def test_other_sessions_read_every_time(self, db):
        loads = 0

        async def load() -> int:
            nonlocal loads
            loads += 1
            return loads

        async with db.transaction() as session:
            assert [await memoized(session, ("n",), load) for _ in range(3)] == [1, 2, 3]


async def test_rows_made_later_get_larger_ids(db):
    """Ids are time-ordered (UUIDv7), so new rows land at the end of the primary key's index."""
    first = await make_org(db)
    await asyncio.sleep(0.002)
    second = await make_org(db)
    assert first.id.version == second.id.version == 7
    assert first.id < second.id
    made = [new_id() for _ in range(3)]
    assert all(type(i) is uuid.UUID for i in made)  # a plain UUID, as drivers expect
