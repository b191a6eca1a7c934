from __future__ import annotations

import time

import pytest

from imas.pipelines.connectors import registry
from imas.pipelines.connectors.base import ConnectorFailed
from imas.pipelines.connectors.mysql import MysqlConnector
from tests.pipelines.conftest import SqlDatabase


def connector(db: SqlDatabase, timeout: float = 5.0, **changes: object) -> MysqlConnector:
    config = {**db.config, **{k: v for k, v in changes.items() if k != "credentials"}}
    credentials = changes.get("credentials", db.credentials)
    return MysqlConnector.create(config, credentials, timeout=timeout)


async def failure(conn: MysqlConnector) -> str:
    with pytest.raises(ConnectorFailed) as caught:
        await conn.test()
    await conn.close()
    return str(caught.value)


def test_is_registered_as_mysql() -> None:
    assert registry.find("mysql") is MysqlConnector
    assert MysqlConnector.Config.model_validate({"host": "h", "database": "d"}).port == 3306


class TestConnectionTest:
    async def test_success(self, mariadb: SqlDatabase) -> None:
        conn = connector(mariadb)
        assert await conn.test() == "Connection successful"
        await conn.close()

    async def test_wrong_password(self, mariadb: SqlDatabase) -> None:
        creds = {"username": "root", "password": "hunter2-secret"}
        message = await failure(connector(mariadb, credentials=creds))
        assert message.startswith("Access denied for user 'root'@")
        assert "hunter2" not in message

    async def test_unknown_database(self, mariadb: SqlDatabase) -> None:
        message = await failure(connector(mariadb, database="no_such_db"))
        assert message == "Unknown database 'no_such_db'"

    async def test_port_where_nothing_listens(self, mariadb: SqlDatabase, closed_port: int) -> None:
        message = await failure(connector(mariadb, port=closed_port))
        assert message == "Can't connect to MySQL server on '127.0.0.1' (connection refused)"

    async def test_unknown_host(self, mariadb: SqlDatabase) -> None:
        message = await failure(connector(mariadb, host="no-such-host.invalid"))
        assert "cannot resolve host" in message

    async def test_server_that_never_answers_times_out(
        self, mariadb: SqlDatabase, silent_port: int
    ) -> None:
        started = time.monotonic()
        message = await failure(connector(mariadb, port=silent_port, timeout=1))
        assert "timed out" in message
        assert time.monotonic() - started < 3


async def test_schema_lists_the_database_tables(mariadb: SqlDatabase) -> None:
    await mariadb.execute(
        "CREATE TABLE customers (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, email TEXT,"
        " created_at DATETIME, total DECIMAL(10, 2), active BOOLEAN NOT NULL)"
    )
    conn = connector(mariadb)
    info = await conn.schema()
    await conn.close()
    assert info.tables == ["customers"]
    assert info.columns["customers"] == ["id", "name", "email", "created_at", "total", "active"]
    types = info.data_types["customers"]
    assert types["id"] == {"type": "integer", "nullable": False}
    assert types["name"] == {"type": "varchar", "nullable": False}
    assert types["email"] == {"type": "text", "nullable": True}
    assert types["created_at"]["type"] == "datetime"
    assert types["total"]["type"] == "decimal"
    assert types["active"]["type"] == "tinyint"
