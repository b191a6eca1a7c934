from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from pydantic import ValidationError

from imas.pipelines.steps.base import StepFailed
from imas.pipelines.steps.sql_extract import SqlExtract
from tests.pipelines.conftest import Ctx, SqlDatabase, collect

CUSTOMERS = [
    {"id": i, "name": f"customer-{i}", "updated_at": f"2025-01-{i:02d} 12:00:00"}
    for i in range(1, 26)
]


def extract(query: str, **config: Any) -> SqlExtract:
    return SqlExtract.create({"connector_id": "00000000-0000-0000-0000-000000000001",
                              "query": query, **config})  # fmt: skip


@pytest.fixture(scope="module", params=["postgresql", "mariadb"])
async def source(
    request: pytest.FixtureRequest, pg_source: SqlDatabase, mariadb: SqlDatabase
) -> SqlDatabase:
    """A `customers` table (25 rows, one per day of January 2025) in each database kind."""
    db = pg_source if request.param == "postgresql" else mariadb
    stamp = "timestamp" if db.kind == "postgresql" else "DATETIME"
    await db.execute("DROP TABLE IF EXISTS customers")
    await db.execute(
        f"CREATE TABLE customers (id integer PRIMARY KEY, name varchar(50), updated_at {stamp})"
    )
    await db.execute(
        "INSERT INTO customers VALUES (:id, :name, :updated_at)",
        [{**c, "updated_at": dt.datetime.fromisoformat(c["updated_at"])} for c in CUSTOMERS],
    )
    return db


class TestBatches:
    async def test_streams_the_rows_in_batches(
        self, source: SqlDatabase, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = source.connector()
        ctx = make_ctx(conn, batch_rows=10)
        frames = await collect(extract("SELECT id, name FROM customers ORDER BY id").batches(ctx))
        await conn.close()
        assert [f.height for f in frames] == [10, 10, 5]
        whole = pl.concat(frames)
        assert whole.columns == ["id", "name"]
        assert whole["id"].to_list() == list(range(1, 26))
        assert whole.schema["id"] == pl.Int64
        assert ctx.metrics["rows_extracted"] == 25

    async def test_batch_rows_of_the_step_wins(
        self, source: SqlDatabase, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = source.connector()
        step = extract("SELECT id FROM customers", batch_rows=20)
        frames = await collect(step.batches(make_ctx(conn, batch_rows=5)))
        await conn.close()
        assert [f.height for f in frames] == [20, 5]

    async def test_incremental_query_reads_only_rows_after_last_run_date(
        self, source: SqlDatabase, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = source.connector()
        step = extract("SELECT id FROM customers WHERE updated_at > '{{ last_run_date }}'")
        ctx = make_ctx(conn, variables={"last_run_date": "2025-01-20T12:00:00+00:00"})
        frames = await collect(step.batches(ctx))
        await conn.close()
        assert pl.concat(frames)["id"].sort().to_list() == [21, 22, 23, 24, 25]
        _, message, data = ctx.lines[0]
        assert message == f"Extracting from {conn.kind}"
        assert data["query"] == "SELECT id FROM customers WHERE updated_at > :p0"

    async def test_first_run_reads_everything(
        self, source: SqlDatabase, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = source.connector()
        step = extract("SELECT id FROM customers WHERE updated_at > '{{ last_run_date }}'")
        frames = await collect(step.batches(make_ctx(conn)))  # 1970-01-01T00:00:00+00:00
        await conn.close()
        assert sum(f.height for f in frames) == 25

    async def test_injection_stays_a_bound_value(
        self, source: SqlDatabase, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = source.connector()
        step = extract("SELECT id FROM customers WHERE name = '{{ who }}'")
        ctx = make_ctx(conn, variables={"who": "x'; DROP TABLE customers; --"})
        frames = await collect(step.batches(ctx))
        await conn.close()
        assert sum(f.height for f in frames) == 0
        assert await source.scalar("SELECT count(*) FROM customers") == 25

    async def test_the_query_cannot_write(
        self, source: SqlDatabase, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = source.connector()
        with pytest.raises(StepFailed, match=r"(?i)read.only"):
            await collect(extract("DELETE FROM customers").batches(make_ctx(conn)))
        await conn.close()
        assert await source.scalar("SELECT count(*) FROM customers") == 25

    async def test_undefined_variable_names_it(
        self, source: SqlDatabase, make_ctx: Callable[..., Ctx]
    ) -> None:
        step = extract("SELECT id FROM customers WHERE id > {{ since_id }}")
        with pytest.raises(StepFailed, match="'since_id' is undefined"):
            await collect(step.batches(make_ctx(source.connector())))

    async def test_sql_error_is_the_databases_reason(
        self, source: SqlDatabase, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = source.connector()
        with pytest.raises(StepFailed, match="no_such_table"):
            await collect(extract("SELECT * FROM no_such_table").batches(make_ctx(conn)))
        await conn.close()

    async def test_columns_without_reading_rows(
        self, source: SqlDatabase, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = source.connector()
        step = extract("SELECT id, name AS customer_name FROM customers WHERE id > {{ n }};")
        assert await step.columns(make_ctx(conn, variables={"n": 3})) == ["id", "customer_name"]
        await conn.close()


def test_invalid_template_is_refused_when_saved() -> None:
    with pytest.raises(ValidationError, match="invalid template"):
        extract("SELECT {{ oops")


async def test_timestamptz_column_and_aware_watermark(
    pg_source: SqlDatabase, make_ctx: Callable[..., Ctx]
) -> None:
    await pg_source.execute("CREATE TABLE events (id int, at timestamptz, label text)")
    await pg_source.execute(
        "INSERT INTO events VALUES (1, '2025-01-01T09:00:00+00', 'a'),"
        " (2, '2025-01-01T11:00:00+00', '2025-01-01T11:00:00+00:00')"
    )
    conn = pg_source.connector()
    step = extract(
        "SELECT id FROM events WHERE at > '{{ last_run_date }}' OR label = '{{ last_run_date }}'"
    )
    ctx = make_ctx(conn, variables={"last_run_date": "2025-01-01T12:00:00+02:00"})
    frames = await collect(step.batches(ctx))
    await conn.close()
    # 10:00 UTC: event 2 by its time; the same string compared with a text column still works
    assert pl.concat(frames)["id"].to_list() == [2]


async def test_value_types_become_polars_types(
    pg_source: SqlDatabase, make_ctx: Callable[..., Ctx]
) -> None:
    conn = pg_source.connector()
    query = (
        "SELECT 1.5::numeric(4, 2) AS price, gen_random_uuid() AS uid, true AS ok,"
        " now() AS at, NULL::int AS nothing"
    )
    frame = (await collect(extract(query).batches(make_ctx(conn))))[0]
    await conn.close()
    assert frame.schema["price"] == pl.Decimal(38, 2)
    assert frame.schema["uid"] == pl.String
    assert frame.schema["ok"] == pl.Boolean
    assert frame.schema["at"] == pl.Datetime("us", "UTC")


async def test_cancelling_the_task_cancels_the_query(
    pg_source: SqlDatabase, make_ctx: Callable[..., Ctx]
) -> None:
    conn = pg_source.connector()
    step = extract("SELECT pg_sleep(30) AS slept /* imas-cancel-test */")
    task = asyncio.create_task(collect(step.batches(make_ctx(conn))))
    await asyncio.sleep(0.5)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 2
    await asyncio.sleep(0.2)
    running = await pg_source.scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active'"
        " AND query LIKE '%imas-cancel-test%' AND pid <> pg_backend_pid()"
    )
    assert running == 0
    assert await conn.test() == "Connection successful"  # the engine is still usable
    await conn.close()
