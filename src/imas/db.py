"""Engine, sessions, the declarative base and the tenancy guard.

Two kinds of session: `read` (plain deferred transaction) and `write`. On SQLite a write session
starts with `BEGIN IMMEDIATE`, because a deferred transaction that reads before it writes fails at
once with "database is locked" instead of waiting `busy_timeout`; its statements run on the event
loop's thread (`imas.sqlite_inline`), so the write lock is never held while the loop is busy.

Tenancy: a session whose `info["organization_id"]` is set (the API sets it once the caller is
known) adds `organization_id = :org` to every ORM select/update/delete of an `OrgOwned` model and
refuses to flush (insert, update or delete) an `OrgOwned` row of another organization. Forgetting
the filter in a query is therefore not possible; `execution_options(all_orgs=True)` is the explicit
way out.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import structlog
from sqlalchemy import JSON, DateTime, ForeignKey, MetaData, TypeDecorator, Uuid, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    UOWTransaction,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)
from uuid6 import uuid7

from imas import sqlite_checkpoint, sqlite_inline
from imas.config import Settings

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
SQLITE_CACHE_KIB = 32 * 1024


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A time-ordered id (UUIDv7) for a new row: rows made together sit together at the end of
    the primary key's index instead of on random pages of it, so inserting a few hundred alerts
    dirties a few index pages rather than hundreds (`bench/sqlite_ids.py`: a transaction of 200
    alerts into a 300,000-row table, 16 ms with random ids and 10 ms with these; the random
    ids' cost grows with the table). Its first 48 bits are the creation time in milliseconds,
    which `created_at` shows anyway."""
    return uuid.UUID(int=uuid7().int)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on the way in and out, on every backend (SQLite stores naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; IMAS stores timezone-aware UTC only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    # On SQLite a value is text ('YYYY-MM-DD HH:MM:SS.ffffff', SQLAlchemy's own format): one
    # function each way instead of the decorator's chain over the dialect's formatting and
    # parsing, about three times cheaper; the alert intake binds and reads thousands a second.
    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given; IMAS stores timezone-aware UTC only")
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | datetime | None) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

        return process


JSONType = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime(),
        uuid.UUID: Uuid(),
        dict[str, Any]: JSONType,
        list[str]: JSONType,
    }


class UUIDPk:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrgOwned:
    """Mixin for every domain table: the row belongs to exactly one organization."""

    @declared_attr
    def organization_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid(), ForeignKey("organizations.id", ondelete="CASCADE"), index=True, nullable=False
        )


class TenantMismatch(RuntimeError):
    """A row of one organization was about to be written from another organization's session."""


class TenantSession(Session):
    @property
    def organization_id(self) -> uuid.UUID | None:
        return self.info.get("organization_id")


@event.listens_for(TenantSession, "do_orm_execute")
def _scope_queries_to_org(state: ORMExecuteState) -> None:
    org_id = state.session.info.get("organization_id")
    if org_id is None or state.execution_options.get("all_orgs"):
        return
    if state.is_select or state.is_update or state.is_delete:
        state.statement = state.statement.options(
            with_loader_criteria(
                OrgOwned,
                lambda cls: cls.organization_id == org_id,
                include_aliases=True,
            )
        )


@event.listens_for(TenantSession, "before_flush")
def _stamp_org_on_new_rows(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    org_id = session.info.get("organization_id")
    if org_id is None:
        return
    for obj in [*session.new, *session.dirty]:
        if not isinstance(obj, OrgOwned):
            continue
        current = getattr(obj, "organization_id", None)
        if current is None:
            obj.organization_id = org_id
        elif current != org_id:
            raise TenantMismatch(f"{type(obj).__name__} belongs to another organization")
    for obj in session.deleted:
        if isinstance(obj, OrgOwned) and getattr(obj, "organization_id", None) != org_id:
            raise TenantMismatch(f"{type(obj).__name__} belongs to another organization")


def _sqlite_pragmas(
    dbapi_connection: Any, connection_record: Any, busy_timeout_ms: int, autocheckpoint: int | None
) -> None:
    # Take transaction control from the driver so that BEGIN is ours (see the module docstring).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Reads come from memory-mapped pages and a larger page cache instead of read() calls.
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    if autocheckpoint is not None:  # a thread checkpoints (imas.sqlite_checkpoint)
        cursor.execute(f"PRAGMA wal_autocheckpoint={autocheckpoint}")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The process's engine and its two session factories."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.database_url
        kwargs: dict[str, Any] = {"echo": settings.db_echo, "pool_pre_ping": True}
        if not settings.is_sqlite:
            kwargs.update(pool_size=settings.db_pool_size, max_overflow=settings.db_pool_size)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        write_bind = self.engine
        self.checkpointer: sqlite_checkpoint.Checkpointer | None = None
        if self.engine.dialect.name == "sqlite":
            database = make_url(self.url).database
            on_file = bool(database and database != ":memory:")
            backstop = sqlite_checkpoint.BACKSTOP_PAGES if on_file else None
            self._sqlite_events(self.engine, SQLITE_BUSY_TIMEOUT_MS, backstop)
            if database and on_file:
                # Writes run inline on the event loop (imas.sqlite_inline), which waits for
                # another writer's lock itself: no busy timeout in SQLite.
                write_bind = create_async_engine(
                    self.url,
                    async_creator=sqlite_inline.connector(database, SQLITE_BUSY_TIMEOUT_MS),
                    **kwargs,
                )
                self._sqlite_events(write_bind, 0, backstop)
                self.checkpointer = sqlite_checkpoint.Checkpointer(database)
                self.checkpointer.start()
            write_bind = write_bind.execution_options(sqlite_immediate=True)
        self.write_engine = write_bind
        common: dict[str, Any] = {"expire_on_commit": False, "sync_session_class": TenantSession}
        self.read_sessions = async_sessionmaker(self.engine, **common)
        self.write_sessions = async_sessionmaker(write_bind, **common)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A session committed at the end of the block, rolled back on error (CLI, jobs)."""
        factory = self.write_sessions if write else self.read_sessions
        async with factory() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @staticmethod
    def _sqlite_events(
        engine: AsyncEngine, busy_timeout_ms: int, autocheckpoint: int | None
    ) -> None:
        event.listen(
            engine.sync_engine,
            "connect",
            lambda conn, record: _sqlite_pragmas(conn, record, busy_timeout_ms, autocheckpoint),
        )
        event.listen(engine.sync_engine, "begin", _sqlite_begin)

    async def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        await self.engine.dispose()
        if self.write_engine.sync_engine is not self.engine.sync_engine:
            await self.write_engine.dispose()


@contextmanager
def acting_in(session: AsyncSession, org_id: uuid.UUID) -> Iterator[None]:
    """Bind `session` to another organization for a block (creating an org, logging in)."""
    previous = session.info.get("organization_id")
    session.info["organization_id"] = org_id
    try:
        yield
    finally:
        if previous is None:
            session.info.pop("organization_id", None)
        else:
            session.info["organization_id"] = previous


_MEMO = "transaction_memo"


def memoize_lookups(session: AsyncSession) -> None:
    """Let `memoized` lookups of this session's transaction run once each: for a transaction
    applying many changes on a configuration that none of them changes (the alert intake's
    group commit opens dozens of incidents, each reading the same service, policy, people)."""
    session.info[_MEMO] = {}


async def memoized(
    session: AsyncSession, key: tuple[Any, ...], load: Callable[[], Awaitable[T]]
) -> T:
    """`await load()`, once per `key` and organization if the session memoizes its lookups."""
    memo: dict[tuple[Any, ...], Any] | None = session.info.get(_MEMO)
    if memo is None:
        return await load()
    full = (session.info.get("organization_id"), *key)
    if full not in memo:
        memo[full] = await load()
    return memo[full]  # type: ignore[no-any-return]


def org_of(session: AsyncSession) -> uuid.UUID:
    org_id = session.info.get("organization_id")
    if org_id is None:
        raise RuntimeError("this session is not bound to an organization")
    return org_id  # type: ignore[no-any-return]


async def listen(db: Database, channel: str, callback: Callable[[str], None]) -> Any:
    """A PostgreSQL connection calling `callback(payload)` on each `NOTIFY channel` (close it
    when done), or None on SQLite or when it cannot connect (the caller falls back)."""
    if db.dialect != "postgresql":
        return None
    import asyncpg  # type: ignore[import-untyped]

    dsn = make_url(db.url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = await asyncpg.connect(dsn)
        await conn.add_listener(channel, lambda *args: callback(args[-1]))
    except Exception as exc:
        structlog.get_logger(__name__).warning("listen_failed", channel=channel, error=str(exc))
        return None
    return conn


UNMAPPED_PREFIXES = ("incident_search", "ix_incidents_search")
"""Tables and indexes that migrations create by hand and no model maps (the full-text search of
`imas.rca.search`): the model/migration comparison leaves them out."""


def is_mapped_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's `include_object`: everything but `UNMAPPED_PREFIXES`."""
    return not (reflected and compare_to is None and (name or "").startswith(UNMAPPED_PREFIXES))


UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE


def is_unique_violation(exc: IntegrityError) -> bool:
    """A duplicate key (rather than, say, a foreign key that vanished meanwhile)."""
    orig: Any = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate:
        return bool(sqlstate == UNIQUE_VIOLATION)
    errorname = getattr(orig, "sqlite_errorname", None)
    if errorname:
        return bool(errorname == "SQLITE_CONSTRAINT_UNIQUE")
    return "unique" in str(orig).lower()
