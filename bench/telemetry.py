"""Custom metrics: ingestion rate through the API, and a 24 h range query at 1-minute step.

    python bench/telemetry.py --database sqlite --points 1000000
    python bench/telemetry.py --database postgresql --points 10000000 \
        --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench_tel

Each run starts `imas serve` (no embedded worker) on a fresh database (a SQLite file in a temp
directory, or the PostgreSQL database emptied), creates an organization and a token, then:

  1. ingestion: `--api-points` points (default 200,000) go through `POST /api/v1/telemetry/
     metrics/` over HTTP in seed-shaped JSON batches of 1,000 (one scrape of 1,000 series: 100
     hosts x 10 metrics, a timestamp 10 s apart per batch), from `--concurrency` clients; the rate
     is points / wall time of that phase (each 2xx means committed);
  2. fill: the rest of the `--points` store is bulk-inserted directly (SQLite executemany,
     PostgreSQL COPY) into the same series, further back in time, so that the queried series
     (`cpu_usage{host="host-000"}`) holds a full 24 h at 10 s (8,640 points) and the others share
     the rest;
  3. queries: `--queries` sequential `GET .../metrics/?name=cpu_usage&tags=host:host-000&
     start_time=now-24h&end_time=now&step=1m&aggregation=avg` over HTTP (1,440 buckets each);
     p50 and p99 latency.

It prints each run, the medians over `--runs`, and the machine line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from common import machine, percentile, reset_postgres
from sqlalchemy import make_url

HOSTS, METRICS = 100, 10
SERIES = HOSTS * METRICS
INTERVAL_S = 10
DAY_POINTS = 24 * 3600 // INTERVAL_S
METRIC_NAMES = [
    "cpu_usage",
    "memory_used",
    "disk_io",
    "net_rx",
    "net_tx",
    "requests_total",
    "errors_total",
    "latency_ms",
    "queue_depth",
    "gc_pause_ms",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, database_url: str, work: Path) -> None:
        self.port = free_port()
        self.work = work
        self.env = {
            **os.environ,
            "IMAS_DATABASE_URL": database_url,
            "IMAS_VAR_DIR": str(work),
            "IMAS_SECRET_KEY": "bench-telemetry",
            "IMAS_RATE_LIMIT_ENABLED": "false",
            "IMAS_LOG_LEVEL": "WARNING",
            "IMAS_EMBEDDED_WORKER": "false",
            "IMAS_MAX_BODY_BYTES": str(4 * 1024 * 1024),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.token = ""

    def start(self) -> None:
        imas = [sys.executable, "-m", "imas"]
        run: dict[str, Any] = {"env": self.env, "check": True, "capture_output": True, "text": True}
        subprocess.run(
            [*imas, "user", "create", "bench", "--password", "bench-password", "--org", "bench"],
            **run,
        )
        self.token = subprocess.run([*imas, "token", "create", "bench"], **run).stdout.strip()
        log = (self.work / "serve.log").open("wb")
        self.process = subprocess.Popen(
            [*imas, "serve", "--port", str(self.port)], env=self.env, stdout=log, stderr=log
        )
        for _ in range(300):
            if self.process.poll() is not None:
                raise SystemExit(f"imas serve exited:\n{(self.work / 'serve.log').read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base}/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise SystemExit("imas serve did not become healthy")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}"}

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def batch(at: datetime) -> dict[str, Any]:
    stamp = at.isoformat().replace("+00:00", "Z")
    return {
        "metrics": [
            {
                "name": name,
                "value": float((h * 7 + m * 13 + int(at.timestamp())) % 100),
                "unit": "count",
                "timestamp": stamp,
                "tags": {"host": f"host-{h:03d}", "env": "prod"},
            }
            for h in range(HOSTS)
            for m, name in enumerate(METRIC_NAMES)
        ]
    }


async def ingest(server: Server, now: datetime, batches: int, concurrency: int) -> float:
    """Points/s of `batches` batches of 1,000 through the API."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(batches):
        queue.put_nowait(i)

    async def client() -> None:
        async with httpx.AsyncClient(
            base_url=server.base, headers=server.headers, timeout=120
        ) as c:
            while True:
                try:
                    i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                body = batch(now - timedelta(seconds=INTERVAL_S * i))
                response = await c.post("/api/v1/telemetry/metrics/", json=body)
                if response.status_code != 200:
                    raise SystemExit(f"ingest failed: {response.status_code} {response.text}")

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return batches * SERIES / (time.perf_counter() - started)


def fill_rows(series_ids: list[int], target: int, now: datetime, offset: int, extra: int):
    """Rows (series_id, ts_ms, value) older than the API's: the target series up to 24 h, the
    other series share the rest."""
    now_ms = int(now.timestamp() * 1000)
    step_ms = INTERVAL_S * 1000
    target_extra = min(max(DAY_POINTS - offset, 0), extra)
    for k in range(target_extra):
        yield (target, now_ms - (offset + k) * step_ms, float(k % 100))
    others = [s for s in series_ids if s != target]
    rest = extra - target_extra
    per, spare = divmod(rest, len(others))
    for index, sid in enumerate(others):
        for k in range(per + (1 if index < spare else 0)):
            yield (sid, now_ms - (offset + k) * step_ms, float(k % 100))


async def fill(database: str, url: str, now: datetime, offset: int, extra: int) -> float:
    """Bulk insert `extra` points; returns the seconds it took."""
    started = time.perf_counter()
    if database == "sqlite":
        path = make_url(url).database
        conn = sqlite3.connect(str(path), timeout=60)
        conn.execute("PRAGMA journal_mode=WAL")
        ids = [r[0] for r in conn.execute("SELECT id FROM telemetry_series ORDER BY id")]
        target = conn.execute(
            "SELECT id FROM telemetry_series WHERE name='cpu_usage' "
            "AND json_extract(tags, '$.host')='host-000'"
        ).fetchone()[0]
        rows = fill_rows(ids, target, now, offset, extra)
        while chunk := [r for _, r in zip(range(100_000), rows, strict=False)]:
            conn.executemany("INSERT INTO telemetry_points VALUES (?, ?, ?)", chunk)
            conn.commit()
        conn.execute("ANALYZE")
        conn.close()
    else:
        target_url = make_url(url)
        conn = await asyncpg.connect(
            host=target_url.host,
            port=target_url.port or 5432,
            user=target_url.username,
            database=target_url.database,
            password=target_url.password,
        )
        ids = [r[0] for r in await conn.fetch("SELECT id FROM telemetry_series ORDER BY id")]
        target = await conn.fetchval(
            "SELECT id FROM telemetry_series WHERE name='cpu_usage' AND tags->>'host'='host-000'"
        )
        rows = fill_rows(ids, target, now, offset, extra)
        while chunk := [r for _, r in zip(range(500_000), rows, strict=False)]:
            await conn.copy_records_to_table(
                "telemetry_points", records=chunk, columns=["series_id", "ts_ms", "value"]
            )
        await conn.execute("ANALYZE telemetry_points")
        await conn.close()
    return time.perf_counter() - started


def query(server: Server, now: datetime, n: int) -> list[float]:
    params = {
        "name": "cpu_usage",
        "tags": "host:host-000",
        "start_time": (now - timedelta(hours=24)).isoformat().replace("+00:00", "Z"),
        "end_time": now.isoformat().replace("+00:00", "Z"),
        "step": "1m",
        "aggregation": "avg",
    }
    took: list[float] = []
    with httpx.Client(base_url=server.base, headers=server.headers, timeout=120) as client:
        for i in range(n + 3):
            started = time.perf_counter()
            response = client.get("/api/v1/telemetry/metrics/", params=params)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise SystemExit(f"query failed: {response.status_code} {response.text}")
            body = response.json()
            if i == 0 and not 1400 <= body["total_count"] <= 1441:
                raise SystemExit(f"expected ~1440 buckets, got {body['total_count']}")
            if i >= 3:  # the first ones warm the caches
                took.append(elapsed)
    return took


async def one_run(args: argparse.Namespace, run: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="imas-bench-tel-") as tmp:
        work = Path(tmp)
        if args.database == "sqlite":
            url = f"sqlite+aiosqlite:///{work / 'bench.db'}"
        else:
            url = args.pg_url
            await reset_postgres(url)
        server = Server(url, work)
        server.start()
        try:
            now = datetime.now(UTC).replace(microsecond=0)
            batches = max(args.api_points // SERIES, 1)
            rate = await ingest(server, now, batches, args.concurrency)
            extra = max(args.points - batches * SERIES, 0)
            fill_s = await fill(args.database, url, now, batches, extra)
            took = query(server, now, args.queries)
        finally:
            server.stop()
    result = {
        "rate": rate,
        "fill_s": fill_s,
        "p50": percentile(took, 0.50),
        "p99": percentile(took, 0.99),
    }
    print(
        f"run {run}: ingest {rate:,.0f} points/s via API ({batches * SERIES:,} points); "
        f"filled {extra:,} in {fill_s:.1f} s; 24 h @ 1m query p50 {result['p50']:.1f} ms, "
        f"p99 {result['p99']:.1f} ms ({len(took)} queries)",
        flush=True,
    )
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench_tel"
    )
    parser.add_argument("--points", type=int, default=10_000_000, help="stored in total")
    parser.add_argument("--api-points", type=int, default=200_000, help="sent through the API")
    parser.add_argument("--concurrency", type=int, default=4, help="ingesting clients")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}", flush=True)
    print(
        f"{args.database}: {args.points:,} points in {SERIES} series, "
        f"{args.api_points:,} through the API in batches of 1,000",
        flush=True,
    )
    results = [await one_run(args, run + 1) for run in range(args.runs)]

    def median(key: str) -> float:
        return statistics.median(r[key] for r in results)

    print(f"median of {len(results)} runs ({args.database}, {args.points:,} points):")
    print(f"  ingestion: {median('rate'):,.0f} points/s (batches of 1,000 over HTTP)")
    print(
        f"  24 h range at 1-minute step, one series: p50 {median('p50'):.1f} ms, "
        f"p99 {median('p99'):.1f} ms"
    )
    print(f"machine: {machine()}")


if __name__ == "__main__":
    asyncio.run(main())
