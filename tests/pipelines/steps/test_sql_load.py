from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import polars as pl
import pytest
from pydantic import ValidationError

from imas.pipelines.steps.base import StepFailed
from imas.pipelines.steps.sql_load import SqlLoad
from tests.pipelines.conftest import Ctx, SqlDatabase

CONNECTOR = "00000000-0000-0000-0000-000000000001"


def load(table: str, **config: Any) -> SqlLoad:
    return SqlLoad.create({"connector_id": CONNECTOR, "table": table, **config})


def customers(ids: range, suffix: str = "") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": list(ids),
            "name": [f"customer-{i}{suffix}" for i in ids],
            "score": [i * 0.5 for i in ids],
            "seen_at": [dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)] * len(ids),
            "active": [i % 2 == 0 for i in ids],
        }
    )


@pytest.fixture(params=["postgresql", "mariadb"])
def target(
    request: pytest.FixtureRequest, pg_target: SqlDatabase, mariadb: SqlDatabase
) -> SqlDatabase:
    return pg_target if request.param == "postgresql" else mariadb


async def rows(db: SqlDatabase, table: str, columns: str, where: str = "1 = 1") -> list[Any]:
    """The table's rows (test-made table names only)."""
    sql = f"SELECT {columns} FROM {table} WHERE {where} ORDER BY 1"
    return await db.fetch(sql)


async def count(db: SqlDatabase, table: str) -> int:
    return int((await rows(db, table, "count(*)"))[0][0])


async def run(step: SqlLoad, ctx: Ctx, *frames: pl.DataFrame) -> None:
    await step.open(ctx)
    for number, frame in enumerate(frames):
        await step.write(ctx, frame, number)
    await step.close(ctx, succeeded=True)


class TestUpsert:
    async def test_creates_the_table_and_writing_twice_duplicates_nothing(
        self, target: SqlDatabase, table_name: str, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = target.connector()
        ctx = make_ctx(conn)
        await run(load(table_name, key=["id"]), ctx, customers(range(1, 101)))
        await run(load(table_name, key=["id"]), ctx, customers(range(51, 151), " v2"))
        await conn.close()

        assert await count(target, table_name) == 150
        assert await rows(target, table_name, "id, name, score", "id IN (1, 60)") == [
            (1, "customer-1", 0.5),
            (60, "customer-60 v2", 30.0),
        ]
        assert ctx.metrics["rows_loaded"] == 200

    async def test_duplicate_keys_within_a_batch_keep_the_last(
        self, target: SqlDatabase, table_name: str, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = target.connector()
        frame = pl.concat([customers(range(1, 3)), customers(range(1, 2), " later")])
        await run(load(table_name, key=["id"]), make_ctx(conn), frame)
        await conn.close()
        assert await rows(target, table_name, "id, name") == [
            (1, "customer-1 later"),
            (2, "customer-2"),
        ]

    async def test_values_keep_their_types(
        self, target: SqlDatabase, table_name: str, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = target.connector()
        await run(load(table_name, key=["id"]), make_ctx(conn), customers(range(1, 3)))
        await conn.close()
        ((seen_at, active),) = await rows(target, table_name, "seen_at, active", "id = 2")
        assert seen_at.replace(tzinfo=dt.UTC) == dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)
        assert bool(active) is True

    async def test_existing_table_without_a_unique_key_is_refused(
        self, target: SqlDatabase, table_name: str, make_ctx: Callable[..., Ctx]
    ) -> None:
        await target.execute(f"CREATE TABLE {table_name} (id integer, name text)")
        conn = target.connector()
        with pytest.raises(StepFailed, match=r"no primary key or unique index on \(id\)"):
            await load(table_name, key=["id"]).open(make_ctx(conn))
        await conn.close()

    async def test_unknown_column_names_the_table_columns(
        self, target: SqlDatabase, table_name: str, make_ctx: Callable[..., Ctx]
    ) -> None:
        await target.execute(f"CREATE TABLE {table_name} (id integer PRIMARY KEY, name text)")
        conn = target.connector()
        step = load(table_name, key=["id"])
        ctx = make_ctx(conn)
        await step.open(ctx)
        with pytest.raises(StepFailed, match="has no column 'score'; its columns are id, name"):
            await step.write(ctx, customers(range(1, 3)).select("id", "name", "score"), 0)
        await conn.close()


class TestAppend:
    async def test_append_adds_every_row(
        self, target: SqlDatabase, table_name: str, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = target.connector()
        ctx = make_ctx(conn)
        await run(load(table_name), ctx, customers(range(1, 11)), customers(range(1, 11)))
        await conn.close()
        assert await count(target, table_name) == 20

    async def test_missing_table_without_create_table_fails(
        self, target: SqlDatabase, table_name: str, make_ctx: Callable[..., Ctx]
    ) -> None:
        conn = target.connector()
        with pytest.raises(StepFailed, match=f"the table {table_name} does not exist"):
            await load(table_name, create_table=False).open(make_ctx(conn))
        await conn.close()


def test_upsert_needs_a_key() -> None:
    with pytest.raises(ValidationError, match="needs a key"):
        load("t", mode="upsert")


async def test_postgres_schema_nulls_and_text_that_looks_like_null(
    pg_target: SqlDatabase, table_name: str, make_ctx: Callable[..., Ctx]
) -> None:
    await pg_target.execute("CREATE SCHEMA IF NOT EXISTS staging")
    frame = pl.DataFrame(
        {"id": [1, 2, 3], "note": ["\\N", None, 'a "quoted",\nmulti-line value'], "n": [1, None, 3]}
    )
    conn = pg_target.connector()
    await run(load(table_name, schema="staging", key=["id"]), make_ctx(conn), frame)
    await conn.close()
    assert await rows(pg_target, f"staging.{table_name}", "id, note, n") == [
        (1, "\\N", 1),
        (2, None, None),
        (3, 'a "quoted",\nmulti-line value', 3),
    ]
