"""PostgreSQL through asyncpg (SQLAlchemy's `postgresql+asyncpg`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Literal

import asyncpg  # type: ignore[import-untyped]
from pydantic import ConfigDict, Field
from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import AsyncConnection

from imas.pipelines.connectors.base import ConnectorConfig, ConnectorCredentials
from imas.pipelines.connectors.sql import SqlConnector

SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]


class PostgresConfig(ConnectorConfig):
    # `schema` is a BaseModel method: the field is `schema_`, read and written as `schema`.
    model_config = ConfigDict(extra="forbid", validate_by_name=True, serialize_by_alias=True)

    host: str = Field(min_length=1)
    port: int = Field(default=5432, ge=1, le=65535)
    database: str = Field(min_length=1)
    schema_: str = Field(default="public", alias="schema", min_length=1)
    sslmode: SslMode | None = None
    connect_timeout: float | None = Field(default=None, gt=0)


class PostgresCredentials(ConnectorCredentials):
    username: str = Field(min_length=1)
    password: str = ""


class PostgresConnector(SqlConnector):
    kind: ClassVar[str] = "postgresql"
    dialect: ClassVar[Literal["postgresql", "mysql"]] = "postgresql"
    Config = PostgresConfig
    Credentials = PostgresCredentials
    errors = (*SqlConnector.errors, asyncpg.PostgresError, asyncpg.InterfaceError)

    config: PostgresConfig
    credentials: PostgresCredentials

    def url(self) -> URL:
        return URL.create(
            "postgresql+asyncpg",
            username=self.credentials.username,
            password=self.credentials.password or None,
            host=self.config.host,
            port=self.config.port,
            database=self.config.database,
        )

    def connect_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {
            "timeout": self.config.connect_timeout or self.timeout,
            "server_settings": {"application_name": "imas-pipelines"},
        }
        if self.config.sslmode is not None:
            args["ssl"] = self.config.sslmode
        return args

    def schema_name(self) -> str:
        return self.config.schema_

    async def read_only(self, conn: AsyncConnection) -> None:
        await conn.execute(text("SET TRANSACTION READ ONLY"))

    async def bind(self, conn: AsyncConnection, sql: str, params: dict[str, Any]) -> dict[str, Any]:
        """asyncpg encodes each value by the type PostgreSQL infers for its placeholder and
        refuses a string for a `timestamp` (or a datetime for a `text`): so the statement is
        prepared first and every value converted to its placeholder's type
        (`updated_at > '{{ last_run_date }}'` then compares timestamps, whatever the column)."""
        if not params:
            return params
        compiled = text(sql).compile(dialect=conn.dialect)
        raw = await conn.get_raw_connection()
        statement = await raw.driver_connection.prepare(str(compiled))  # type: ignore[union-attr]
        types = [parameter.name for parameter in statement.get_parameters()]
        fitted = dict(params)
        for name, pg_type in zip(compiled.positiontup or [], types, strict=False):
            fitted[name] = fit(params[name], pg_type)
        return fitted


_INTEGERS = frozenset({"int2", "int4", "int8"})
_FLOATS = frozenset({"float4", "float8"})
_TEXTS = frozenset({"text", "varchar", "bpchar", "name", "unknown"})


def fit(value: Any, pg_type: str) -> Any:
    """`value` as asyncpg wants it for a parameter of `pg_type`; unchanged when it cannot be
    converted (asyncpg's error then says why)."""
    try:
        if isinstance(value, str):
            return _from_text(value, pg_type)
        if isinstance(value, dt.datetime):
            if pg_type == "timestamp" and value.tzinfo is not None:
                return value.astimezone(dt.UTC).replace(tzinfo=None)
            if pg_type == "timestamptz" and value.tzinfo is None:
                return value.replace(tzinfo=dt.UTC)
            if pg_type == "date":
                return value.date()
        if pg_type in _TEXTS and isinstance(value, dt.date | dt.time):
            return value.isoformat()
        if pg_type in _TEXTS and isinstance(value, int | float | Decimal) and value is not True:
            return str(value)
    except (ValueError, InvalidOperation):
        return value
    return value


def _from_text(value: str, pg_type: str) -> Any:
    if pg_type in ("timestamp", "timestamptz"):
        moment = dt.datetime.fromisoformat(value.strip())
        return fit(moment, pg_type)
    if pg_type == "date":
        return dt.date.fromisoformat(value.strip()[:10])
    if pg_type in _INTEGERS:
        return int(value)
    if pg_type in _FLOATS:
        return float(value)
    if pg_type == "numeric":
        return Decimal(value)
    if pg_type == "bool":
        return value.strip().lower() in ("true", "t", "1", "yes", "y", "on")
    return value
