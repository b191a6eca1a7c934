r"""Throughput of a data pipeline: IMAS copying a PostgreSQL table to another PostgreSQL
database, next to the same copy by `psql \copy` out and in (the physical reference).

    .venv/bin/python bench/pipelines.py --rows 1000000 --runs 3
    .venv/bin/python bench/pipelines.py --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench_pipelines

Three PostgreSQL databases are emptied (or created): IMAS's own (`--pg-url`), `<name>_src` with
a table `events` of `--rows` rows (bigint id primary key, text with some NULLs, integer,
numeric, timestamptz, boolean; from generate_series) and `<name>_dst`, the target. IMAS runs as
`imas serve` (no embedded worker) with its connectors to both databases. Each run:
  - IMAS: a pipeline `SELECT ... ORDER BY id` -> load into a new table (key `id`, created by the
    load), executed through the API by a fresh `imas worker` process; reported are rows/s over
    the run's own duration (started_at -> completed_at) and over the wall time from the execute
    call to the success seen by polling, and the worker's peak RSS (VmHWM; its RSS when idle
    before the run in brackets). The same again with 10x fewer rows, to show the memory does not
    grow with the data. Row counts are checked at both ends after each run;
  - psql: `\copy (SELECT ...) TO file CSV` from the source plus `\copy table FROM file CSV` into
    a new table with the same columns and primary key; rows/s over the two together;
  - the ratio IMAS / psql of the rows/s (IMAS's reported duration; in brackets, its wall time).
Medians over the runs follow. Batch size: IMAS_PIPELINE_BATCH_ROWS (IMAS's default 10,000) from
the environment. The machine is printed with its load average (other processes skew the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from common import machine, peak_rss_mib, reset_postgres
from sqlalchemy import make_url

COLUMNS = "id, name, quantity, amount, created_at, active"
DDL = (
    "(id bigint PRIMARY KEY, name text, quantity integer, amount numeric(12, 2), "
    "created_at timestamptz, active boolean)"
)
FILL = (
    f"INSERT INTO events ({COLUMNS}) SELECT i, "
    "CASE WHEN i % 10 = 0 THEN NULL ELSE 'event ' || i || ' ' || md5(i::text) END, "
    "(i % 1000)::integer, round((i * 7.31) % 100000, 2), "
    "timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second', i % 3 = 0 "
    "FROM generate_series(1, {rows}) AS i"
)
FINAL = ("success", "failed", "cancelled")


class Bench:
    def __init__(self, pg_url: str, work: Path, concurrency: int) -> None:
        self.url = make_url(pg_url)
        self.src, self.dst = f"{self.url.database}_src", f"{self.url.database}_dst"
        self.work, self.concurrency, self.port = work, concurrency, free_port()
        self.env = {
            **os.environ,
            "IMAS_DATABASE_URL": pg_url,
            "IMAS_VAR_DIR": str(work),
            "IMAS_SECRET_KEY": "bench-pipelines",
            "IMAS_RATE_LIMIT_ENABLED": "false",
            "IMAS_LOG_LEVEL": "WARNING",
            "IMAS_EMBEDDED_WORKER": "false",
        }
        self.serve: subprocess.Popen[bytes] | None = None
        self.api: httpx.Client | None = None

    def psql(self, database: str, *commands: str) -> str:
        args = ["psql", "-h", self.url.host or "127.0.0.1", "-p", str(self.url.port or 5432)]
        args += ["-U", self.url.username or "postgres", "-d", database, "-v", "ON_ERROR_STOP=1"]
        env = {**os.environ, "PGPASSWORD": self.url.password or ""}
        for command in commands:
            args += ["-c", command]
        done = subprocess.run([*args, "-tA"], env=env, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(f"psql failed: {done.stderr}")
        return done.stdout.strip()

    def count(self, database: str, table: str) -> int:
        return int(self.psql(database, f"SELECT count(*) FROM {table}"))

    def start(self) -> None:
        imas = [sys.executable, "-m", "imas"]
        run = {"env": self.env, "check": True, "capture_output": True, "text": True}
        user = ["user", "create", "bench", "--password", "bench-password", "--org", "bench"]
        subprocess.run([*imas, *user], **run)
        token = subprocess.run([*imas, "token", "create", "bench"], **run).stdout.strip()
        log = (self.work / "serve.log").open("wb")
        self.serve = subprocess.Popen(
            [*imas, "serve", "--port", str(self.port)], env=self.env, stdout=log, stderr=log
        )
        self.api = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"Token {token}"},
            timeout=60,
        )
        for _ in range(300):
            if self.serve.poll() is not None:
                raise SystemExit(f"imas serve exited:\n{(self.work / 'serve.log').read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if self.api.get("/health").status_code == 200:
                    return
            time.sleep(0.2)
        raise SystemExit("imas serve did not become healthy")

    def connector(self, database: str) -> str:
        assert self.api is not None
        body = {
            "name": database,
            "connector_type": "postgresql",
            "config": {"host": self.url.host, "port": self.url.port or 5432, "database": database},
            "credentials": {"username": self.url.username, "password": self.url.password or ""},
        }
        return str(self.api.post("/api/v1/connectors/", json=body).raise_for_status().json()["id"])

    def stop(self) -> None:
        if self.api is not None:
            self.api.close()
        if self.serve is not None:
            stop_process(self.serve, signal.SIGINT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], sig: int) -> None:
    process.send_signal(sig)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def rss_mib(pid: int) -> float:
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match[1]) / 1024 if match else float("nan")


def query(rows: int) -> str:
    return f"SELECT {COLUMNS} FROM events WHERE id <= {rows} ORDER BY id"


def imas_copy(bench: Bench, source: str, target: str, rows: int, table: str) -> dict[str, float]:
    """One IMAS pipeline run copying `rows` rows into a new `table`, by a fresh worker."""
    assert bench.api is not None
    steps = [
        {
            "name": "Extract",
            "step_type": "extract",
            "order_index": 1,
            "config": {"connector_id": source, "query": query(rows)},
        },
        {
            "name": "Load",
            "step_type": "load",
            "order_index": 2,
            "config": {"connector_id": target, "table": table, "key": ["id"]},
        },
    ]
    body = {"name": f"copy to {table}", "status": "active", "steps": steps}
    body["config"] = {"timeout": 24 * 3600}
    pipeline = bench.api.post("/api/v1/pipelines/", json=body).raise_for_status().json()
    log = bench.work / f"worker-{table}.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "imas", "worker", "--concurrency", str(bench.concurrency)],
            env={**bench.env, "IMAS_LOG_LEVEL": "INFO"},  # to see `worker_started`
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.time() + 120
        while "worker_started" not in log.read_text():
            if worker.poll() is not None or time.time() > deadline:
                raise SystemExit(f"imas worker did not start:\n{log.read_text()}")
            time.sleep(0.1)
        time.sleep(0.5)
        idle = rss_mib(worker.pid)
        started = time.perf_counter()
        execute = bench.api.post(
            f"/api/v1/pipelines/{pipeline['id']}/execute/",
            json={"context": {"manual_trigger": True}},
        )
        run_id = execute.raise_for_status().json()["run_id"]
        while (run := bench.api.get(f"/api/v1/pipeline-runs/{run_id}/").json())[
            "status"
        ] not in FINAL:
            if worker.poll() is not None:
                raise SystemExit(f"imas worker exited:\n{log.read_text()}")
            time.sleep(0.1)
        wall = time.perf_counter() - started
        peak = peak_rss_mib(worker.pid)
    finally:
        stop_process(worker, signal.SIGTERM)
    if run["status"] != "success":
        raise SystemExit(f"run {run_id} {run['status']}: {run.get('error')}\n{run}")
    copied = bench.count(bench.dst, table)
    processed = run["metrics"]["total_rows_processed"]
    expected = bench.count(bench.src, f"({query(rows)}) AS q")
    if not copied == processed == expected == rows:
        raise SystemExit(
            f"row counts differ: source {expected}, run {processed}, target {copied} ({table})"
        )
    bench.psql(bench.dst, f"DROP TABLE {table}")
    reported = (at(run["completed_at"]) - at(run["started_at"])).total_seconds()
    return {
        "seconds": reported,
        "rate": rows / reported,
        "wall": wall,
        "wall_rate": rows / wall,
        "peak": peak,
        "idle": idle,
    }


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def psql_copy(bench: Bench, rows: int, table: str) -> dict[str, float]:
    csv = bench.work / f"{table}.csv"
    bench.psql(bench.dst, f"CREATE TABLE {table} {DDL}")
    started = time.perf_counter()
    bench.psql(bench.src, f"\\copy ({query(rows)}) TO '{csv}' CSV")
    exported = time.perf_counter()
    bench.psql(bench.dst, f"\\copy {table} ({COLUMNS}) FROM '{csv}' CSV")
    imported = time.perf_counter()
    if (copied := bench.count(bench.dst, table)) != rows:
        raise SystemExit(f"psql copied {copied} rows of {rows}")
    bench.psql(bench.dst, f"DROP TABLE {table}")
    csv.unlink()
    seconds = imported - started
    return {"out": exported - started, "in": imported - exported, "rate": rows / seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench_pipelines"
    )
    parser.add_argument("--concurrency", type=int, default=2, help="of the imas worker")
    args = parser.parse_args()
    small = max(1, args.rows // 10)

    work = Path(tempfile.mkdtemp(prefix="imas-bench-pipelines-"))
    bench = Bench(args.pg_url, work, args.concurrency)
    for url in (bench.url, bench.url.set(database=bench.src), bench.url.set(database=bench.dst)):
        asyncio.run(reset_postgres(url.render_as_string(hide_password=False)))
    started = time.perf_counter()
    bench.psql(
        bench.src,
        f"CREATE TABLE events {DDL}",
        FILL.format(rows=args.rows),
        "VACUUM (ANALYZE) events",
    )
    size = bench.psql(bench.src, "SELECT pg_size_pretty(pg_total_relation_size('events'))")
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    print(
        f"source: {args.rows:,} rows ({size}) made in {time.perf_counter() - started:.1f} s; "
        f"IMAS batch rows {os.environ.get('IMAS_PIPELINE_BATCH_ROWS', '10000 (default)')}; "
        f"worker concurrency {args.concurrency}",
        flush=True,
    )
    results: list[tuple[dict[str, float], dict[str, float], dict[str, float]]] = []
    try:
        bench.start()
        source, target = bench.connector(bench.src), bench.connector(bench.dst)
        for run in range(1, args.runs + 1):
            full = imas_copy(bench, source, target, args.rows, f"imas_{run}")
            tenth = imas_copy(bench, source, target, small, f"imas_small_{run}")
            ref = psql_copy(bench, args.rows, f"psql_{run}")
            results.append((full, tenth, ref))
            print(f"run {run}:")
            print(f"  IMAS {args.rows:,} rows: {describe(full)}")
            print(f"  IMAS {small:,} rows: {describe(tenth)}")
            print(
                f"  psql \\copy {args.rows:,} rows: out {ref['out']:.2f} s + in {ref['in']:.2f} s"
                f" = {ref['rate']:,.0f} rows/s"
            )
            print(
                f"  IMAS / psql: {full['rate'] / ref['rate']:.3f} "
                f"(wall {full['wall_rate'] / ref['rate']:.3f})",
                flush=True,
            )
    finally:
        bench.stop()
        shutil.rmtree(work, ignore_errors=True)

    def median(i: int, key: str) -> float:
        return statistics.median(r[i][key] for r in results)

    print(f"median of {len(results)} runs:")
    print(
        f"  IMAS {args.rows:,} rows: {median(0, 'rate'):,.0f} rows/s reported, "
        f"{median(0, 'wall_rate'):,.0f} rows/s wall; worker peak RSS {median(0, 'peak'):.0f} MiB "
        f"(idle {median(0, 'idle'):.0f})"
    )
    print(
        f"  IMAS {small:,} rows: {median(1, 'rate'):,.0f} rows/s reported, "
        f"{median(1, 'wall_rate'):,.0f} rows/s wall; worker peak RSS {median(1, 'peak'):.0f} MiB "
        f"(idle {median(1, 'idle'):.0f})"
    )
    print(f"  psql \\copy out+in: {median(2, 'rate'):,.0f} rows/s")
    ratios = [full["rate"] / ref["rate"] for full, _, ref in results]
    walls = [full["wall_rate"] / ref["rate"] for full, _, ref in results]
    print(f"  IMAS / psql: {statistics.median(ratios):.3f} (wall {statistics.median(walls):.3f})")
    print(f"load average now {os.getloadavg()[0]:.2f}")


def describe(r: dict[str, Any]) -> str:
    return (
        f"{r['rate']:,.0f} rows/s reported ({r['seconds']:.2f} s started->completed), "
        f"{r['wall_rate']:,.0f} rows/s wall ({r['wall']:.2f} s execute->success); "
        f"worker peak RSS {r['peak']:.0f} MiB (idle {r['idle']:.0f})"
    )


if __name__ == "__main__":
    main()
