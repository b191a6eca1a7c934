from __future__ import annotations

import time

import pytest

from imas.pipelines.connectors import registry
from imas.pipelines.connectors.base import ConnectorFailed
from imas.pipelines.connectors.postgresql import PostgresConnector
from tests.pipelines.conftest import SqlDatabase
from tests.pipelines.connectors.password_server import password_refusing_server


def connector(pg: SqlDatabase, timeout: float = 5.0, **changes: object) -> PostgresConnector:
    config = {**pg.config, **{k: v for k, v in changes.items() if k != "credentials"}}
    credentials = changes.get("credentials", pg.credentials)
    return PostgresConnector.create(config, credentials, timeout=timeout)


async def failure(conn: PostgresConnector) -> str:
    with pytest.raises(ConnectorFailed) as caught:
        await conn.test()
    await conn.close()
    return str(caught.value)


def test_is_registered_as_postgresql() -> None:
    assert registry.find("postgresql") is PostgresConnector
    assert PostgresConnector.family == "sql"


def test_config_reads_and_writes_schema_by_its_name() -> None:
    config = PostgresConnector.Config.model_validate(
        {"host": "db", "database": "prod", "schema": "sales"}
    )
    assert config.model_dump()["schema"] == "sales"
    assert config.model_dump()["port"] == 5432


class TestConnectionTest:
    async def test_success(self, pg_source: SqlDatabase) -> None:
        conn = connector(pg_source)
        assert await conn.test() == "Connection successful"
        await conn.close()

    async def test_unknown_user(self, pg_source: SqlDatabase) -> None:
        creds = {"username": "nobody", "password": "hunter2-secret"}
        message = await failure(connector(pg_source, credentials=creds))
        assert message == 'role "nobody" does not exist'

    async def test_unknown_database(self, pg_source: SqlDatabase) -> None:
        message = await failure(connector(pg_source, database="no_such_db"))
        assert message == 'database "no_such_db" does not exist'

    async def test_port_where_nothing_listens(
        self, pg_source: SqlDatabase, closed_port: int
    ) -> None:
        assert await failure(connector(pg_source, port=closed_port)) == "connection refused"

    async def test_unknown_host(self, pg_source: SqlDatabase) -> None:
        message = await failure(connector(pg_source, host="no-such-host.invalid"))
        assert message.startswith("cannot resolve host")

    async def test_server_that_never_answers_times_out(
        self, pg_source: SqlDatabase, silent_port: int
    ) -> None:
        started = time.monotonic()
        message = await failure(connector(pg_source, port=silent_port, timeout=1))
        assert message == "timed out after 1 s"
        assert time.monotonic() - started < 3

    async def test_password_is_never_in_the_message(
        self, pg_source: SqlDatabase, closed_port: int
    ) -> None:
        creds = {"username": "nobody", "password": "hunter2-secret"}
        for conn in (
            connector(pg_source, credentials=creds),
            connector(pg_source, credentials=creds, port=closed_port),
        ):
            assert "hunter2" not in await failure(conn)


class TestSchema:
    async def test_tables_columns_and_types_of_the_configured_schema(
        self, pg_source: SqlDatabase
    ) -> None:
        await pg_source.execute(
            "CREATE TABLE customers (id integer PRIMARY KEY, name varchar(100) NOT NULL,"
            " email text, created_at timestamp, seen_at timestamptz, total numeric(10, 2),"
            " active boolean NOT NULL DEFAULT true)"
        )
        await pg_source.execute("CREATE TABLE orders (id bigserial PRIMARY KEY, amount float8)")
        await pg_source.execute("CREATE SCHEMA other")
        await pg_source.execute("CREATE TABLE other.hidden (x int)")
        conn = connector(pg_source)
        info = await conn.schema()
        await conn.close()

        assert info.tables == ["customers", "orders"]
        assert info.columns["customers"] == [
            "id", "name", "email", "created_at", "seen_at", "total", "active"
        ]  # fmt: skip
        types = info.data_types["customers"]
        assert types["id"] == {"type": "integer", "nullable": False}
        assert types["name"] == {"type": "varchar", "nullable": False}
        assert types["email"] == {"type": "text", "nullable": True}
        assert types["created_at"]["type"] == "timestamp"
        assert types["seen_at"]["type"] == "timestamptz"
        assert types["total"]["type"] == "numeric"
        assert types["active"] == {"type": "boolean", "nullable": False}
        assert info.data_types["orders"]["amount"]["type"] == "double precision"

        other = connector(pg_source, schema="other")
        assert (await other.schema()).tables == ["hidden"]
        await other.close()

    async def test_schema_of_an_unreachable_database_fails(
        self, pg_source: SqlDatabase, closed_port: int
    ) -> None:
        conn = connector(pg_source, port=closed_port)
        with pytest.raises(ConnectorFailed, match="connection refused"):
            await conn.schema()


def test_every_connector_type_is_registered() -> None:
    assert {"postgresql", "mysql", "rest_api", "s3"} <= set(registry.kinds())


async def test_a_wrong_password_is_refused_with_the_servers_reason(pg_source: SqlDatabase) -> None:
    creds = {"username": "etl", "password": "not-the-password"}
    async with password_refusing_server() as port:
        message = await failure(connector(pg_source, port=port, credentials=creds))

    assert message == 'password authentication failed for user "etl"'
