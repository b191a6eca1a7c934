"""What the SQL connector types share: one small SQLAlchemy async engine per connector,
`test()` as `SELECT 1`, `schema()` from SQLAlchemy's inspector, and the hooks the SQL steps need
(a read-only transaction, bound values adapted to the database)."""

from __future__ import annotations

import asyncio
import re
from typing import Any, ClassVar, Literal

from sqlalchemy import URL, inspect, text
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from imas.pipelines.connectors.base import Connector, ConnectorFailed, SchemaInfo
from imas.pipelines.connectors.errors import sql_reason

_LENGTH = re.compile(r"\(.*?\)")
_TABLES_AND_VIEWS = ObjectKind.TABLE | ObjectKind.VIEW


def type_name(sql_type: Any, dialect: Any) -> str:
    """`integer`, `varchar`, `timestamp`, `timestamptz`, `numeric`...: the database's own name,
    lower case, without length or precision."""
    try:
        name = str(sql_type.compile(dialect=dialect))
    except Exception:  # a type SQLAlchemy reflects but cannot render
        name = type(sql_type).__name__
    name = _LENGTH.sub("", name).lower().strip()
    name = name.replace(" without time zone", "")
    if name == "timestamp with time zone":
        return "timestamptz"
    if name == "time with time zone":
        return "timetz"
    return " ".join(name.split())


class SqlConnector(Connector):
    """An SQL database reached through SQLAlchemy's async engine (see `engine()`)."""

    family: ClassVar[Literal["sql", "rest", "s3"]] = "sql"
    dialect: ClassVar[Literal["postgresql", "mysql"]]

    errors: ClassVar[tuple[type[Exception], ...]] = (SQLAlchemyError, OSError, TimeoutError)
    """What the driver raises when the database refuses or fails (steps report these as
    `StepFailed` with `reason()`)."""

    _engine: AsyncEngine | None = None

    def url(self) -> URL:
        raise NotImplementedError

    def connect_args(self) -> dict[str, Any]:
        return {}

    def schema_name(self) -> str | None:
        """The schema `schema()` lists (None: the connection's default)."""
        return None

    def engine(self) -> AsyncEngine:
        """The connector's engine, made on first use and disposed by `close()`: a small pool,
        since one run uses one or two connections at a time."""
        if self._engine is None:
            self._engine = create_async_engine(
                self.url(),
                pool_size=2,
                max_overflow=2,
                pool_timeout=self.timeout,
                pool_recycle=1800,
                connect_args=self.connect_args(),
            )
        return self._engine

    def reason(self, exc: BaseException) -> str:
        """The driver's reason for `exc`, for `ConnectorFailed` and `StepFailed` messages."""
        return sql_reason(exc, self.timeout)

    async def test(self) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                async with self.engine().connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:
            raise ConnectorFailed(self.reason(exc)) from None
        return "Connection successful"

    async def schema(self) -> SchemaInfo:
        try:
            async with asyncio.timeout(self.timeout):
                async with self.engine().connect() as conn:
                    return await conn.run_sync(self._read_schema)
        except Exception as exc:
            raise ConnectorFailed(self.reason(exc)) from None

    def _read_schema(self, conn: SyncConnection) -> SchemaInfo:
        inspector = inspect(conn)
        schema = self.schema_name()
        found = inspector.get_multi_columns(schema=schema, kind=_TABLES_AND_VIEWS)
        info = SchemaInfo()
        for (_, table), columns in sorted(found.items(), key=lambda item: item[0][1]):
            for column in columns:
                info.add(
                    table,
                    column["name"],
                    type_name(column["type"], conn.dialect),
                    bool(column.get("nullable", True)),
                )
        return info

    async def read_only(self, conn: AsyncConnection) -> None:
        """Make the transaction `conn` is about to start read-only (extracts never write)."""
        raise NotImplementedError

    async def bind(self, conn: AsyncConnection, sql: str, params: dict[str, Any]) -> dict[str, Any]:
        """`params` fitted to what the database expects for `sql` (see the subclasses)."""
        return params

    async def close(self) -> None:
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.dispose()
