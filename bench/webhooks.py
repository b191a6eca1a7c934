"""Outbound webhooks end to end: from an incident change through the API to the webhook arriving
at a local receiver, over real HTTP and real processes.

    .venv/bin/python bench/webhooks.py --db postgresql --workers 1,4
    .venv/bin/python bench/webhooks.py --db sqlite
    .venv/bin/python bench/webhooks.py --db postgresql --workers 4 --via direct

For each configuration it builds a fresh database, starts `imas serve` itself and a receiver in a
separate process (a raw asyncio HTTP/1.1 server with keep-alive that answers 200 at once and
records the arrival time of each request with its body), and subscribes the receiver to the
incident events through the API. Who delivers:
  - PostgreSQL: N separate `imas worker` processes (`--workers 1,4`); `imas serve` runs none;
  - SQLite (the embedded default): the worker inside `imas serve` (`--workers` is ignored: the
    embedded default runs exactly one, in the API's process).
Each run then measures
  (a) throughput: a backlog of `--events` INCIDENT_CREATED events is made through the API while
      nothing delivers (PostgreSQL: no worker started yet; SQLite: `imas serve` started with
      IMAS_EMBEDDED_WORKER=false, then restarted with its worker), then the workers are started
      and deliveries/s is measured at the receiver, from the first arrival to the last;
  (b) latency: with the workers running, incidents are created through the API at a steady
      `--rate` per second (open loop) for `--seconds`, and the delay from the change (the
      event's `timestamp`, taken when the change is made, before its commit) to the arrival is
      reported as p50/p99; the delay from the start of the API call is shown too.
With `--via direct` the incidents of both loads are made through IMAS's service layer in the
bench's own process instead of over HTTP (the same transaction, events, outbox rows and jobs as
the API's): for a machine where the incidents API itself cannot keep up with `--rate`, so that
the delivery path is what is measured. While the backlog drains, the CPU time the delivering
processes (and, on PostgreSQL, the server processes of the bench database) spend per delivery
is printed too: unlike deliveries/s it hardly depends on what else the machine is running.
Every run checks that every event arrived exactly once (missing and duplicate counts), and
prints the peak RSS of `imas serve` and of the workers. The medians over `--runs` runs and the
machine are printed at the end. The API's rate while making the backlog is shown as well: on
the embedded default one process both answers the API and delivers, so end-to-end events/s is
at most the lower of the two.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from common import machine, peak_rss_mib, percentile, reset_postgres

HOOK_PATH = "/webhooks/incidents"
INCIDENT_EVENTS = [
    "INCIDENT_CREATED",
    "INCIDENT_UPDATED",
    "INCIDENT_ASSIGNED",
    "INCIDENT_ACKNOWLEDGED",
    "INCIDENT_MITIGATED",
    "INCIDENT_RESOLVED",
    "INCIDENT_REOPENED",
    "INCIDENT_DELETED",
]
SECRET_KEY = "bench-webhooks"


# --- the receiver (its own process) -----------------------------------------------------------

_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class _Receiving(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, just enough of it: POST to the hook is recorded (arrival time,
    body) and answered 200; GET /count and GET /results report; POST /reset forgets."""

    def __init__(self, log: list[tuple[float, bytes]]) -> None:
        self.log = log
        self.buffer = bytearray()
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            total = end + 4 + int(headers.get("content-length") or 0)
            if len(self.buffer) < total:
                return
            body = bytes(self.buffer[end + 4 : total])
            del self.buffer[:total]
            method, path, _ = head[0].split(" ", 2)
            self.transport.write(self._answer(method, path, body))
            if headers.get("connection", "").lower() == "close":
                self.transport.close()
                return

    def _answer(self, method: str, path: str, body: bytes) -> bytes:
        if method == "POST" and path == HOOK_PATH:
            self.log.append((time.time(), body))
            return _OK
        if path == "/count":
            out = str(len(self.log)).encode()
        elif path == "/results":
            out = json.dumps([[at, raw.decode()] for at, raw in self.log]).encode()
        elif path == "/reset":
            self.log.clear()
            out = b"0"
        else:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(out)}\r\n\r\n".encode()
        return head + out


def receive(port: int) -> None:
    with contextlib.suppress(ImportError):
        import uvloop

        uvloop.install()

    async def main() -> None:
        log: list[tuple[float, bytes]] = []
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Receiving(log), "127.0.0.1", port, backlog=1024)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


# --- the machine and the processes ------------------------------------------------------------


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time consumed so far by these processes (those still alive)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postgres_backends(database: str) -> list[int]:
    """The server processes of connections to `database` (their titles name it)."""
    out = []
    for status in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            title = status.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres:") and f" {database} " in title:
            out.append(int(status.parent.name))
    return out


def stop_process(process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise SystemExit(f"imas serve exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("imas serve did not become healthy")


@dataclass
class Stack:
    """IMAS's processes for one configuration, on one fresh database."""

    db: str
    db_url: str
    workers: int
    concurrency: int | None
    work: Path
    port: int
    serve: subprocess.Popen[bytes] | None = None
    worker_processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    serve_log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.serve_log = self.work / "serve.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **extra: str) -> dict[str, str]:
        values = {
            **os.environ,
            "IMAS_DATABASE_URL": self.db_url,
            "IMAS_VAR_DIR": str(self.work),
            "IMAS_SECRET_KEY": SECRET_KEY,
            "IMAS_RATE_LIMIT_ENABLED": "false",
            "IMAS_LOG_LEVEL": "WARNING",
            "IMAS_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver is on 127.0.0.1
        }
        if self.concurrency is not None:
            values["IMAS_WORKER_CONCURRENCY"] = str(self.concurrency)
        return values | extra

    def imas(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "imas", *args],
            env=self.env(),
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def start_serve(self, *, embedded_worker: bool) -> None:
        env = self.env(IMAS_EMBEDDED_WORKER=str(embedded_worker).lower())
        with self.serve_log.open("ab") as out:
            self.serve = subprocess.Popen(
                [sys.executable, "-m", "imas", "serve", "--port", str(self.port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_healthy(self.base, self.serve, self.serve_log)

    def stop_serve(self) -> None:
        if self.serve is not None:
            stop_process(self.serve)
            self.serve = None

    def open_api(self) -> None:
        """The API up, nothing delivering (the backlog is made then)."""
        if self.db == "sqlite":
            self.stop_serve()
            self.start_serve(embedded_worker=False)
        elif self.serve is None:
            self.start_serve(embedded_worker=False)

    def start_delivering(self) -> None:
        if self.db == "sqlite":
            self.stop_serve()
            self.start_serve(embedded_worker=True)
            return
        command = [sys.executable, "-m", "imas", "worker"]
        if self.concurrency is not None:
            command += ["--concurrency", str(self.concurrency)]
        for n in range(self.workers):
            with (self.work / f"worker-{n}.log").open("ab") as out:
                self.worker_processes.append(
                    subprocess.Popen(command, env=self.env(), stdout=out, stderr=subprocess.STDOUT)
                )

    def delivering_pids(self) -> list[int]:
        """The processes that deliver (and, on SQLite, answer the API too)."""
        if self.db == "sqlite":
            return [self.serve.pid] if self.serve is not None else []
        return [p.pid for p in self.worker_processes]

    def database_pids(self) -> list[int]:
        if self.db == "sqlite":
            return []
        return postgres_backends(self.db_url.rsplit("/", 1)[-1].split("?")[0])

    def rss(self) -> tuple[float, list[float]]:
        serve = peak_rss_mib(self.serve.pid) if self.serve is not None else 0.0
        return serve, [peak_rss_mib(p.pid) for p in self.worker_processes]

    def stop_delivering(self) -> None:
        for process in self.worker_processes:
            process.send_signal(signal.SIGTERM)
        for process in self.worker_processes:
            stop_process(process)
        self.worker_processes.clear()

    def check_alive(self) -> None:
        for n, process in enumerate(self.worker_processes):
            if process.poll() is not None:
                log = (self.work / f"worker-{n}.log").read_text()[-3000:]
                raise SystemExit(f"worker {n} exited:\n{log}")
        if self.serve is not None and self.serve.poll() is not None:
            raise SystemExit(f"imas serve exited:\n{self.serve_log.read_text()[-3000:]}")

    def close(self) -> None:
        self.stop_delivering()
        self.stop_serve()


async def database_version(url: str) -> str:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            version = f"PostgreSQL {(await conn.execute(text('SHOW server_version'))).scalar()}"
        else:
            version = f"SQLite {(await conn.execute(text('select sqlite_version()'))).scalar()}"
    await engine.dispose()
    return version


# --- the load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    at: float  # receiver's time.time()
    event_id: str
    incident_id: str
    occurred_at: float  # the event's timestamp


_receiver_client: httpx.Client | None = None


def _receiver() -> httpx.Client:
    """One kept-alive client for talking to the receiver (a new client costs ~20 ms of CPU,
    taken from the processes measured)."""
    global _receiver_client
    if _receiver_client is None:
        _receiver_client = httpx.Client(timeout=60)
    return _receiver_client


def arrivals(receiver: str) -> list[Arrival]:
    raw = _receiver().get(f"{receiver}/results").raise_for_status().json()
    out = []
    for at, body in raw:
        envelope = json.loads(body)
        occurred = datetime.fromisoformat(envelope["timestamp"]).timestamp()
        out.append(Arrival(at, envelope["event_id"], envelope["data"]["incident_id"], occurred))
    return out


def received_count(receiver: str) -> int:
    return int(_receiver().get(f"{receiver}/count").text)


def reset_receiver(receiver: str) -> None:
    _receiver().post(f"{receiver}/reset").raise_for_status()


@dataclass(frozen=True)
class Check:
    missing: int
    duplicates: int  # arrivals beyond the first of an event
    unexpected: int

    def __str__(self) -> str:
        return f"missing {self.missing}, duplicates {self.duplicates}"


def check(expected: set[str], got: list[Arrival]) -> Check:
    """Every created incident's INCIDENT_CREATED arrived exactly once."""
    events = [a.event_id for a in got]
    incidents = {a.incident_id for a in got}
    return Check(
        missing=len(expected - incidents),
        duplicates=len(events) - len(set(events)),
        unexpected=len(incidents - expected),
    )


API_ERRORS: Counter[str] = Counter()


async def create_incident(
    api: httpx.AsyncClient, service_id: str, title: str
) -> tuple[str | None, float]:
    """The new incident's id (None on an error, counted in API_ERRORS), and the wall time the
    call started."""
    started = time.time()
    try:
        body = {"title": title, "service": service_id}
        response = await api.post("/api/v1/incidents/", json=body)
    except httpx.HTTPError as exc:
        API_ERRORS[f"{type(exc).__name__}: {exc}"[:200]] += 1
        return None, started
    if response.status_code != 201:
        API_ERRORS[f"HTTP {response.status_code}: {response.text[:150]}"] += 1
        return None, started
    return str(response.json()["id"]), started


class Maker:
    """Makes incidents (each one an INCIDENT_CREATED event) through the API over HTTP, or, with
    `--via direct`, through IMAS's service layer in this process: the same transaction, events,
    outbox rows and jobs as the API's, without HTTP (for when the API itself cannot keep up with
    the rate asked on the machine at hand)."""

    def __init__(self, via: str, stack: Stack, token: str, service_id: str, clients: int) -> None:
        self.via, self.stack, self.service_id = via, stack, service_id
        self.headers = {"Authorization": f"Token {token}"}
        self.clients = clients
        self.api: httpx.AsyncClient | None = None
        self.db: Any = None

    async def __aenter__(self) -> Maker:
        if self.via == "api":
            self.api = httpx.AsyncClient(
                base_url=self.stack.base,
                headers=self.headers,
                limits=httpx.Limits(max_connections=self.clients),
                timeout=60,
            )
        else:
            from imas.config import Settings
            from imas.db import Database

            env = self.stack.env()
            self.db = Database(
                Settings(
                    database_url=env["IMAS_DATABASE_URL"],
                    var_dir=Path(env["IMAS_VAR_DIR"]),
                    secret_key=SECRET_KEY,
                    db_pool_size=min(10, self.clients),
                )
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.api is not None:
            await self.api.aclose()
        if self.db is not None:
            await self.db.dispose()

    async def create(self, title: str) -> tuple[str | None, float]:
        if self.api is not None:
            return await create_incident(self.api, self.service_id, title)
        return await self._create_directly(title)

    async def _create_directly(self, title: str) -> tuple[str | None, float]:
        import uuid

        from sqlalchemy import select

        import imas.models  # noqa: F401  (every table)
        from imas.db import acting_in
        from imas.incidents import service as incidents
        from imas.incidents.schemas import IncidentCreate
        from imas.orgs.models import Membership, User

        started = time.time()
        try:
            async with self.db.transaction() as session:
                user = await session.scalar(select(User).where(User.username == "bench"))
                org_id = await session.scalar(
                    select(Membership.organization_id)
                    .where(Membership.user_id == user.id)
                    .execution_options(all_orgs=True)
                )
                with acting_in(session, org_id):
                    data = IncidentCreate(title=title, service=uuid.UUID(self.service_id))
                    incident = await incidents.create_incident(session, user, data)
        except Exception as exc:
            API_ERRORS[f"direct: {type(exc).__name__}: {exc}"[:200]] += 1
            return None, started
        return str(incident.id), started


async def backlog(maker: Maker, count: int, tag: str) -> tuple[set[str], float, int]:
    """Create `count` incidents as fast as the maker's clients can; (ids, events/s, errors)."""
    ids: set[str] = set()
    errors = 0
    left = iter(range(count))

    async def client() -> None:
        nonlocal errors
        for n in left:
            incident_id, _ = await maker.create(f"{tag} #{n}")
            if incident_id is None:
                errors += 1
            else:
                ids.add(incident_id)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(maker.clients)))
    return ids, len(ids) / (time.perf_counter() - started), errors


async def steady(
    maker: Maker, rate: float, seconds: float, tag: str
) -> tuple[dict[str, float], int, float]:
    """Create incidents at `rate` per second for `seconds`, each call on its own schedule (open
    loop: a slow answer does not delay the next call). Returns {incident id: call start},
    the error count and the rate kept up with (calls / time to the last answer)."""
    calls: dict[str, float] = {}
    errors = 0

    async def one(n: int) -> None:
        nonlocal errors
        incident_id, started = await maker.create(f"{tag} #{n}")
        if incident_id is None:
            errors += 1
        else:
            calls[incident_id] = started

    loop = asyncio.get_running_loop()
    total = round(rate * seconds)
    began = loop.time() + 0.05
    tasks = []
    for n in range(total):
        wait = began + n / rate - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    answered_in = loop.time() - began
    return calls, errors, total / answered_in if answered_in > 0 else 0.0


def wait_arrivals(stack: Stack, receiver: str, count: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        if received_count(receiver) >= count:
            return True
        time.sleep(0.05)
    return False


@dataclass
class RunFigures:
    api_events_s: float
    deliveries_s: float
    drain_s: float
    worker_cpu_ms: float  # CPU per delivery while draining: the delivering processes
    db_cpu_ms: float  # and the PostgreSQL server processes of the bench database
    throughput_check: Check
    steady_rate: float
    p50_ms: float
    p99_ms: float
    call_p50_ms: float
    call_p99_ms: float
    steady_check: Check
    api_errors: int
    serve_rss: float
    worker_rss: list[float]


def one_run(
    stack: Stack, args: argparse.Namespace, token: str, service_id: str, receiver: str, run: int
) -> RunFigures:
    # (a) throughput: a backlog made while nothing delivers, then drained.
    stack.open_api()
    reset_receiver(receiver)

    async def make_backlog() -> tuple[set[str], float, int]:
        async with Maker(args.via, stack, token, service_id, args.api_concurrency) as maker:
            return await backlog(maker, args.events, f"run{run}")

    ids, api_rate, errors = asyncio.run(make_backlog())
    began = time.time()
    stack.start_delivering()
    # CPU is counted from the first arrival (process start-up excluded) to the last.
    while received_count(receiver) == 0 and time.time() - began < args.timeout:
        stack.check_alive()
        time.sleep(0.005)
    workers_pids, db_pids = stack.delivering_pids(), stack.database_pids()
    cpu_before = cpu_seconds(workers_pids), cpu_seconds(db_pids)
    complete = wait_arrivals(stack, receiver, len(ids), args.timeout)
    born = [pid for pid in stack.database_pids() if pid not in db_pids]  # whole life counts
    cpu_after = cpu_seconds(workers_pids), cpu_seconds(db_pids + born)
    time.sleep(0.5)  # a duplicate would come now
    got = arrivals(receiver)
    drain_check = check(ids, got)
    first = min((a.at for a in got), default=began)
    last = max((a.at for a in got), default=began)
    delivered = len({a.event_id for a in got})
    rate = (delivered - 1) / (last - first) if delivered > 1 and last > first else 0.0
    worker_cpu_ms = (cpu_after[0] - cpu_before[0]) * 1000 / max(1, delivered)
    db_cpu_ms = (cpu_after[1] - cpu_before[1]) * 1000 / max(1, delivered)
    if not complete:
        print(f"  ! the backlog did not drain within {args.timeout:g} s")

    # (b) latency at a steady rate, the workers running.
    reset_receiver(receiver)

    async def make_steadily() -> tuple[dict[str, float], int, float]:
        async with Maker(args.via, stack, token, service_id, 256) as maker:
            return await steady(maker, args.rate, args.seconds, f"steady{run}")

    calls, steady_errors, sent_rate = asyncio.run(make_steadily())
    if not wait_arrivals(stack, receiver, len(calls), args.timeout):
        print(f"  ! the steady events did not all arrive within {args.timeout:g} s")
    time.sleep(0.5)
    got = arrivals(receiver)
    steady_check = check(set(calls), got)
    firsts: dict[str, Arrival] = {}
    for a in got:
        if a.event_id not in firsts or a.at < firsts[a.event_id].at:
            firsts[a.event_id] = a
    delays = [(a.at - a.occurred_at) * 1000 for a in firsts.values()]
    from_call = [
        (a.at - calls[a.incident_id]) * 1000 for a in firsts.values() if a.incident_id in calls
    ]
    serve_rss, worker_rss = stack.rss()
    stack.stop_delivering()
    return RunFigures(
        api_events_s=api_rate,
        deliveries_s=rate,
        drain_s=last - first,
        worker_cpu_ms=worker_cpu_ms,
        db_cpu_ms=db_cpu_ms,
        throughput_check=drain_check,
        steady_rate=sent_rate,
        p50_ms=percentile(delays, 0.5),
        p99_ms=percentile(delays, 0.99),
        call_p50_ms=percentile(from_call, 0.5),
        call_p99_ms=percentile(from_call, 0.99),
        steady_check=steady_check,
        api_errors=errors + steady_errors,
        serve_rss=serve_rss,
        worker_rss=worker_rss,
    )


def setup(stack: Stack, receiver_url: str) -> tuple[str, str]:
    """A user, a token, a service and the receiver's subscription; returns (token, service)."""
    stack.imas("user", "create", "bench", "--password", "bench-password", "--org", "bench")
    token = stack.imas("token", "create", "bench")
    stack.open_api()
    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=stack.base, headers=headers, timeout=30) as api:
        service = api.post("/api/v1/services/", json={"name": "bench-webhooks"})
        subscription = api.post(
            "/api/v1/webhook-subscriptions/",
            json={
                "name": "bench receiver",
                "url": f"{receiver_url}{HOOK_PATH}",
                "events": INCIDENT_EVENTS,
                "timeout_seconds": 10,
                "max_retries": 3,
            },
        )
        subscription.raise_for_status()
    return token, str(service.raise_for_status().json()["id"])


def cpu_label(db: str) -> str:
    return "imas serve" if db == "sqlite" else "workers"


def describe(stack: Stack) -> str:
    concurrency = stack.concurrency or "default"
    if stack.db == "sqlite":
        return f"sqlite, embedded worker in imas serve (concurrency {concurrency})"
    plural = "es" if stack.workers > 1 else ""
    return f"postgresql, {stack.workers} imas worker process{plural} (concurrency {concurrency})"


def run_configuration(
    args: argparse.Namespace, workers: int, receiver_url: str
) -> list[RunFigures]:
    work = Path(tempfile.mkdtemp(prefix="imas-bench-webhooks-"))
    db_url = f"sqlite+aiosqlite:///{work / 'bench.db'}" if args.db == "sqlite" else args.pg_url
    if args.db == "postgresql":
        asyncio.run(reset_postgres(db_url))
    stack = Stack(args.db, db_url, workers, args.concurrency, work, args.port)
    results: list[RunFigures] = []
    try:
        token, service_id = setup(stack, receiver_url)
        print(f"\n{describe(stack)}; {asyncio.run(database_version(db_url))}")
        for run in range(1, args.runs + 1):
            r = one_run(stack, args, token, service_id, receiver_url, run)
            results.append(r)
            workers_rss = " + ".join(f"{x:.0f}" for x in r.worker_rss) or "-"
            print(
                f"run {run} | backlog via {args.via} {r.api_events_s:5.0f} events/s | "
                f"drain {r.deliveries_s:6.0f} deliveries/s ({args.events} in {r.drain_s:.1f} s; "
                f"{r.throughput_check}; CPU/delivery: {cpu_label(stack.db)} "
                f"{r.worker_cpu_ms:.2f} ms, PostgreSQL {r.db_cpu_ms:.2f} ms) | "
                f"steady {args.rate:g}/s asked, {args.via} kept up with {r.steady_rate:.0f}/s: "
                f"p50 {r.p50_ms:6.1f} ms p99 {r.p99_ms:7.1f} ms "
                f"(from the call: p50 {r.call_p50_ms:.1f} p99 {r.call_p99_ms:.1f}; "
                f"{r.steady_check}) | API errors {r.api_errors} | "
                f"peak RSS serve {r.serve_rss:.0f} MiB, workers {workers_rss} MiB"
            )
    finally:
        stack.close()
        if args.keep:
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench_webhooks"
    )
    parser.add_argument("--workers", default="1,4", help="PostgreSQL: worker processes, e.g. 1,4")
    parser.add_argument("--concurrency", type=int, default=None, help="jobs at once per worker")
    parser.add_argument("--events", type=int, default=5000, help="backlog size (throughput)")
    parser.add_argument("--api-concurrency", type=int, default=8, help="clients making it")
    parser.add_argument(
        "--via",
        choices=["api", "direct"],
        default="api",
        help="make the incident changes through the HTTP API, or directly through the service "
        "layer in this process (same transaction, events and jobs; no HTTP)",
    )
    parser.add_argument("--rate", type=float, default=100.0, help="events/s (latency)")
    parser.add_argument("--seconds", type=float, default=10.0, help="of steady load")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0, help="for deliveries to arrive")
    parser.add_argument("--port", type=int, default=8951)
    parser.add_argument("--receiver-port", type=int, default=8952)
    parser.add_argument("--keep", action="store_true", help="keep the logs and SQLite file")
    parser.add_argument("--receive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        receive(args.receiver_port)
        return

    worker_counts = [int(n) for n in args.workers.split(",")] if args.db == "postgresql" else [1]
    print(f"machine: {machine()}")
    receiver = subprocess.Popen(
        [sys.executable, __file__, "--receive", "--receiver-port", str(args.receiver_port)],
        stdout=subprocess.PIPE,
    )
    assert receiver.stdout is not None
    if receiver.stdout.readline().strip() != b"ready":
        raise SystemExit("the receiver did not start")
    receiver_url = f"http://127.0.0.1:{args.receiver_port}"
    results: dict[int, list[RunFigures]] = {}
    try:
        for workers in worker_counts:
            results[workers] = run_configuration(args, workers, receiver_url)
    finally:
        receiver_rss = peak_rss_mib(receiver.pid)
        stop_process(receiver)
    for error, count in API_ERRORS.most_common(5):
        print(f"API error x{count}: {error}")

    print(
        f"\nmedians over {args.runs} runs ({args.events}-event backlog; "
        f"{args.rate:g} events/s for {args.seconds:g} s); receiver peak RSS {receiver_rss:.0f} MiB"
    )
    for workers, runs in results.items():
        label = "sqlite embedded" if args.db == "sqlite" else f"postgresql {workers} worker(s)"

        def med(values: list[float]) -> float:
            return statistics.median(values)

        missing = sum(r.throughput_check.missing + r.steady_check.missing for r in runs)
        dups = sum(r.throughput_check.duplicates + r.steady_check.duplicates for r in runs)
        print(
            f"  {label:26} {med([r.deliveries_s for r in runs]):6.0f} deliveries/s "
            f"(CPU/delivery {cpu_label(args.db)} {med([r.worker_cpu_ms for r in runs]):.2f} ms, "
            f"PostgreSQL {med([r.db_cpu_ms for r in runs]):.2f} ms) | "
            f"p50 {med([r.p50_ms for r in runs]):6.1f} ms  "
            f"p99 {med([r.p99_ms for r in runs]):7.1f} ms"
            f" | API {med([r.api_events_s for r in runs]):4.0f} events/s | "
            f"missing {missing}, duplicates {dups} (all runs) | "
            f"peak RSS serve {med([r.serve_rss for r in runs]):.0f} MiB, "
            f"workers {med([sum(r.worker_rss) for r in runs]):.0f} MiB"
        )


if __name__ == "__main__":
    main()
