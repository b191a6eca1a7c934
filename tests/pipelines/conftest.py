"""Real data sources and targets for pipeline tests, each separate from the IMAS test database
(so they work whether that one is SQLite or PostgreSQL):

- `pg_source`, `pg_target`: a fresh PostgreSQL database each (`imas_etl_<hex>` on
  127.0.0.1:5432, dropped at the end of the module);
- `mariadb`: the same on MariaDB (127.0.0.1:3306, root);
- `s3`: a fresh bucket on a moto S3 server (one server per session);
- `rest_api`: a small JSON API with Bearer auth, paginated in every style `rest_extract` reads;
- `silent_port` (accepts TCP connections, never answers) and `closed_port` (refuses them);
- `make_ctx`: a `StepContext` whose log lines are kept in `ctx.lines`.

Each source gives `config` and `credentials` dicts as its connector type takes them, and
`connector()` builds that connector.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from imas.pipelines.connectors.mysql import MysqlConnector
from imas.pipelines.connectors.postgresql import PostgresConnector
from imas.pipelines.connectors.rest_api import RestApiConnector
from imas.pipelines.connectors.s3 import S3Connector
from imas.pipelines.steps.base import StepContext
from tests.integrations.servers import LocalServer
from tests.realtime.test_live import served  # noqa: F401  (IMAS on a real socket, for WebSockets)

PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
MARIADB_ADMIN_URL = "mysql+aiomysql://root:@127.0.0.1:3306/"


# --- SQL databases ------------------------------------------------------------------------


@dataclass
class SqlDatabase:
    """A throw-away database: where it is, an engine on it, and helpers for assertions."""

    kind: str  # "postgresql" or "mysql": the connector type
    host: str
    port: int
    database: str
    username: str
    password: str
    url: str  # SQLAlchemy async URL (postgresql+asyncpg:// or mysql+aiomysql://)
    engine: AsyncEngine

    @property
    def config(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "database": self.database}

    @property
    def credentials(self) -> dict[str, Any]:
        return {"username": self.username, "password": self.password}

    def connector(self, timeout: float = 10.0) -> PostgresConnector | MysqlConnector:
        kind = PostgresConnector if self.kind == "postgresql" else MysqlConnector
        return kind.create(self.config, self.credentials, timeout=timeout)

    async def execute(self, sql: str, params: Any = None) -> None:
        """One statement (or a list of parameter dicts for executemany), committed."""
        async with self.engine.begin() as conn:
            await conn.execute(text(sql), params)

    async def fetch(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        async with self.engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(text(sql), params or {})]

    async def scalar(self, sql: str, params: dict[str, Any] | None = None) -> Any:
        async with self.engine.connect() as conn:
            return await conn.scalar(text(sql), params or {})


_USED_DATABASES: list[str] = []


@pytest.fixture(scope="session", autouse=True)
async def _drop_used_databases() -> AsyncIterator[None]:
    """Drop the modules' PostgreSQL databases once, at the end: every DROP DATABASE waits for a
    checkpoint, which costs seconds while the suite's own database is busy."""
    yield
    if not _USED_DATABASES:
        return
    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        for name in _USED_DATABASES:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@contextlib.asynccontextmanager
async def _postgres_database() -> AsyncIterator[SqlDatabase]:
    name = f"imas_etl_{secrets.token_hex(6)}"
    admin = create_async_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    _USED_DATABASES.append(name)
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_async_engine(url)
    try:
        yield SqlDatabase("postgresql", "127.0.0.1", 5432, name, "postgres", "", url, engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
async def pg_source() -> AsyncIterator[SqlDatabase]:
    """A fresh PostgreSQL database for the module (user postgres, trust auth)."""
    async with _postgres_database() as database:
        yield database


@pytest.fixture(scope="module")
async def pg_target() -> AsyncIterator[SqlDatabase]:
    """Another fresh PostgreSQL database, for copies from `pg_source`."""
    async with _postgres_database() as database:
        yield database


@pytest.fixture(scope="module")
async def mariadb() -> AsyncIterator[SqlDatabase]:
    """A fresh MariaDB database for the module (user root, empty password)."""
    name = f"imas_etl_{secrets.token_hex(6)}"
    admin = create_async_engine(MARIADB_ADMIN_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
    url = f"mysql+aiomysql://root:@127.0.0.1:3306/{name}?charset=utf8mb4"
    engine = create_async_engine(url)
    try:
        yield SqlDatabase("mysql", "127.0.0.1", 3306, name, "root", "", url, engine)
    finally:
        await engine.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        await admin.dispose()


@pytest.fixture
def table_name() -> str:
    """A table name no other test uses (tests share a module's database)."""
    return f"t_{secrets.token_hex(4)}"


# --- S3 -----------------------------------------------------------------------------------


@dataclass
class S3Bucket:
    endpoint_url: str
    bucket: str
    client: Any  # a boto3 S3 client on the same server, for arranging and asserting
    region: str = "us-east-1"

    @property
    def config(self) -> dict[str, Any]:
        return {"bucket": self.bucket, "region": self.region, "endpoint_url": self.endpoint_url}

    @property
    def credentials(self) -> dict[str, Any]:
        return {"access_key_id": "testing", "secret_access_key": "testing"}

    def connector(self, timeout: float = 10.0, **config: Any) -> S3Connector:
        return S3Connector.create({**self.config, **config}, self.credentials, timeout=timeout)

    def keys(self, prefix: str = "") -> list[str]:
        answer = self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(o["Key"] for o in answer.get("Contents", []))

    def get(self, key: str) -> bytes:
        data: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return data

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 (a free port) for the whole session."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_endpoint: str) -> S3Bucket:
    """A fresh, empty bucket."""
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = f"imas-etl-{secrets.token_hex(4)}"
    client.create_bucket(Bucket=bucket)
    return S3Bucket(moto_endpoint, bucket, client)


# --- a REST API ---------------------------------------------------------------------------


def _records(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "name": f"item-{i}",
            "amount": round(i * 1.5, 2),
            "updated_at": f"2025-01-{1 + i % 28:02d}T10:00:00Z",
        }
        for i in range(1, count + 1)
    ]


class FakeRestApi(LocalServer):
    """A JSON API that wants `Authorization: Bearer <token>` on every path:

    - `GET /health` -> `{"status": "ok"}`;
    - `GET /items?page=&page_size=` (or `?offset=&limit=`) -> `{"count", "next", "previous",
      "results"}`, `next` an absolute URL (also sent as a `Link: <...>; rel="next"` header);
    - `GET /cursor?cursor=&limit=` -> `{"data": {"items": [...]}, "meta": {"next_cursor"}}`;
    - `GET /list` -> the records as a bare list; `GET /status/{code}` -> that status.

    `records` (250 by default) can be replaced by a test; `requests` keeps each query string.
    """

    def __init__(self) -> None:
        super().__init__()
        self.token = "s3cr3t-token"
        self.records = _records(250)
        self.requests: list[dict[str, str]] = []

    def reset(self) -> None:
        self.records = _records(250)
        self.requests = []

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {"base_url": self.base_url, "health_path": "/health", **overrides}

    @property
    def credentials(self) -> dict[str, Any]:
        return {"token": self.token}

    def connector(self, timeout: float = 10.0, **config: Any) -> RestApiConnector:
        return RestApiConnector.create(self.config(**config), self.credentials, timeout=timeout)

    def _refused(self, request: Request) -> Response | None:
        self.requests.append({"path": request.url.path, **request.query_params})
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return JSONResponse({"detail": "invalid or missing token"}, status_code=401)
        return None

    async def health(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse({"status": "ok"})

    async def items(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        q = request.query_params
        if "offset" in q:
            start, size = int(q["offset"]), int(q.get("limit", "20"))
            following = f"offset={start + size}&limit={size}"
        else:
            page, size = int(q.get("page", "1")), int(q.get("page_size", "20"))
            start = (page - 1) * size
            following = f"page={page + 1}&page_size={size}"
        chunk = self.records[start : start + size]
        more = start + size < len(self.records)
        next_url = f"{self.base_url}/items?{following}" if more else None
        body = {"count": len(self.records), "next": next_url, "previous": None, "results": chunk}
        headers = {"Link": f'<{next_url}>; rel="next"'} if next_url else {}
        return JSONResponse(body, headers=headers)

    async def cursor(self, request: Request) -> Response:
        if refused := self._refused(request):
            return refused
        start = int(request.query_params.get("cursor") or 0)
        size = int(request.query_params.get("limit", "20"))
        following = start + size if start + size < len(self.records) else None
        body = {
            "data": {"items": self.records[start : start + size]},
            "meta": {"next_cursor": None if following is None else str(following)},
        }
        return JSONResponse(body)

    async def listing(self, request: Request) -> Response:
        return self._refused(request) or JSONResponse(self.records)

    async def status(self, request: Request) -> Response:
        code = int(request.path_params["code"])
        return JSONResponse({"detail": f"status {code}"}, status_code=code)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/health", self.health),
                Route("/items", self.items),
                Route("/cursor", self.cursor),
                Route("/list", self.listing),
                Route("/status/{code:int}", self.status),
            ]
        )


@pytest.fixture(scope="session")
async def _rest_server() -> AsyncIterator[FakeRestApi]:
    server = FakeRestApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def rest_api(_rest_server: FakeRestApi) -> FakeRestApi:
    """The fake JSON API, its records and request log reset."""
    _rest_server.reset()
    return _rest_server


# --- ports that fail ----------------------------------------------------------------------


class SilentListener:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte (a hung server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(OSError):
                conn, _ = self.sock.accept()
                self._held.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self._held:
            conn.close()
        self.sock.close()


@pytest.fixture(scope="session")
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never answers (for timeouts)."""
    listener = SilentListener()
    yield listener.port
    listener.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- step contexts ------------------------------------------------------------------------


@dataclass
class Ctx(StepContext):
    lines: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


@pytest.fixture
def make_ctx() -> Callable[..., Ctx]:
    """`make_ctx(connector, variables={...}, batch_rows=...)`: a StepContext for a fresh run
    whose log lines are kept in `ctx.lines` as (level, message, data)."""

    def build(connector: Any = None, **values: Any) -> Ctx:
        lines: list[tuple[str, str, dict[str, Any]]] = []
        variables = {
            "last_run_date": "1970-01-01T00:00:00+00:00",
            **values.pop("variables", {}),
        }
        ctx = Ctx(
            run_id=values.pop("run_id", uuid.uuid4()),
            pipeline_id=values.pop("pipeline_id", uuid.uuid4()),
            connector=connector,
            variables=variables,
            log=lambda level, message, data: lines.append((level, message, data)),
            **values,
        )
        ctx.lines = lines
        return ctx

    return build


async def collect(batches: AsyncIterator[Any]) -> list[Any]:
    """Every batch of an extract, in order."""
    return [batch async for batch in batches]


# --- IMAS side ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def running_worker(db, settings) -> AsyncIterator[Any]:
    """A job worker running beside the test (what `imas serve` runs in-process), with quick
    retries and small batches."""
    from imas.jobs.worker import Worker

    fast = settings.model_copy(update={"pipeline_retry_seconds": 0.05, "pipeline_batch_rows": 100})
    running = Worker(db, fast, concurrency=4, poll_interval=0.05)
    task = asyncio.create_task(running.run())
    try:
        yield running
    finally:
        running.stop()
        await task


@pytest.fixture
async def worker(db, settings) -> AsyncIterator[Any]:
    async with running_worker(db, settings) as running:
        yield running
