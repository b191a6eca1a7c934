"""MySQL and MariaDB through aiomysql (SQLAlchemy's `mysql+aiomysql`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar, Literal

from pydantic import Field
from sqlalchemy import URL
from sqlalchemy.ext.asyncio import AsyncConnection

from imas.pipelines.connectors.base import ConnectorConfig, ConnectorCredentials
from imas.pipelines.connectors.sql import SqlConnector

_ISO_WITH_OFFSET = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$"
)


class MysqlConfig(ConnectorConfig):
    host: str = Field(min_length=1)
    port: int = Field(default=3306, ge=1, le=65535)
    database: str = Field(min_length=1)
    connect_timeout: float | None = Field(default=None, gt=0)


class MysqlCredentials(ConnectorCredentials):
    username: str = Field(min_length=1)
    password: str = ""


class MysqlConnector(SqlConnector):
    kind: ClassVar[str] = "mysql"
    dialect: ClassVar[Literal["postgresql", "mysql"]] = "mysql"
    Config = MysqlConfig
    Credentials = MysqlCredentials

    config: MysqlConfig
    credentials: MysqlCredentials

    def url(self) -> URL:
        return URL.create(
            "mysql+aiomysql",
            username=self.credentials.username,
            password=self.credentials.password,
            host=self.config.host,
            port=self.config.port,
            database=self.config.database,
            query={"charset": "utf8mb4"},
        )

    def connect_args(self) -> dict[str, Any]:
        # Sessions in UTC, so TIMESTAMP columns and the UTC watermarks compare as they read.
        return {
            "connect_timeout": self.config.connect_timeout or self.timeout,
            "init_command": "SET time_zone = '+00:00'",
        }

    async def read_only(self, conn: AsyncConnection) -> None:
        # Applies to the next transaction, which the extract's query starts.
        await conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    async def bind(self, conn: AsyncConnection, sql: str, params: dict[str, Any]) -> dict[str, Any]:
        """ISO 8601 date-times with an offset (`last_run_date`) become naive UTC datetimes:
        MySQL and MariaDB read no offset in a DATETIME literal."""
        return {name: _fit(value) for name, value in params.items()}


def _fit(value: Any) -> Any:
    if isinstance(value, str) and _ISO_WITH_OFFSET.match(value.strip()):
        value = dt.datetime.fromisoformat(value.strip())
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value
