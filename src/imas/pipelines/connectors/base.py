"""What a connector type is: one class per file in `imas.pipelines.connectors`, with a typed
`Config` (stored and returned as is) and `Credentials` (stored encrypted, never returned, logged
or written to a run's log), and two methods every type has: `test()` and `schema()`.

A connector reports a failure by raising `ConnectorFailed` with the driver's reason in words a
person can act on ("password authentication failed for user ..."), never a credential.
SQL types also give the steps an SQLAlchemy async engine (`SqlConnector.engine()`); S3 and REST
types give their own clients (see their modules).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict

DEFAULT_TIMEOUT = 10.0
"""Seconds a connection test or a schema read may take before it is a failure."""


class ConnectorConfig(BaseModel):
    """Base of every connector type's `config`: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class ConnectorCredentials(BaseModel):
    """Base of every connector type's `credentials`: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class ConnectorFailed(Exception):
    """The connector could not do what was asked; the message is the driver's reason."""


@dataclass
class SchemaInfo:
    """The seed's schema answer: `tables`, `columns` (names in order) and `data_types`
    (`{"type": <lower-case type name>, "nullable": bool}` per column)."""

    tables: list[str] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)
    data_types: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, column: str, type_name: str, nullable: bool) -> None:
        if table not in self.columns:
            self.tables.append(table)
            self.columns[table] = []
            self.data_types[table] = {}
        self.columns[table].append(column)
        self.data_types[table][column] = {"type": type_name, "nullable": nullable}


class Connector:
    kind: ClassVar[str]
    """The `connector_type` users give (`postgresql`, `mysql`, `rest_api`, `s3`)."""
    family: ClassVar[Literal["sql", "rest", "s3"]]
    """Which step types can use it (`sql_extract`/`sql_load`, `rest_extract`, `s3_*`)."""
    Config: ClassVar[type[ConnectorConfig]] = ConnectorConfig
    Credentials: ClassVar[type[ConnectorCredentials]] = ConnectorCredentials

    def __init__(
        self,
        config: ConnectorConfig,
        credentials: ConnectorCredentials,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.config = config
        self.credentials = credentials
        self.timeout = timeout

    @classmethod
    def create(
        cls,
        config: Mapping[str, Any],
        credentials: Mapping[str, Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Self:
        """The connector from stored dicts (raises pydantic's `ValidationError` if they do not
        fit the type's models)."""
        return cls(
            cls.Config.model_validate(config),
            cls.Credentials.model_validate(credentials),
            timeout=timeout,
        )

    async def test(self) -> str:
        """Connect and do the cheapest real operation; the success message. Raises
        `ConnectorFailed` (bounded by `self.timeout`)."""
        raise NotImplementedError

    async def schema(self) -> SchemaInfo:
        raise NotImplementedError

    async def close(self) -> None:
        """Release what the connector holds (engines, clients)."""
