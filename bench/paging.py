"""Paging latency: from an alert's arrival to the first page received, end to end.

    .venv/bin/python bench/paging.py                       # 3 runs, 50 alerts/s for 20 s each
    .venv/bin/python bench/paging.py --rate 50 --seconds 20 --runs 3
    .venv/bin/python bench/paging.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench

Each run starts `imas serve` on a fresh embedded default (SQLite under a temporary var dir; its
worker runs in the API's process) and a receiver in a process of its own (a raw asyncio
HTTP/1.1 server with keep-alive that answers 200 at once and records each arrival's time and
body). Through the API it makes a user whose contact method is a webhook to that receiver, an
escalation policy paging that user, a service with that policy and a generic-webhook
integration whose default service it is. It then posts alerts to `/api/v1/webhooks/generic/`
at a steady `--rate` per second (open loop), each with a new title, so each opens an incident,
starts the policy (an escalation job) and sends a page (a page job). The latency of an alert is
the time from the start of its POST to the arrival of its page at the receiver (matched by the
incident title); p50/p99/max are printed per run, with the count of pages missing, and the
medians over the runs with the machine (and its load average, since other processes on the
machine skew the figures) at the end, and the mean time the paging jobs waited to be started
and ran (from IMAS's /metrics), which tells queueing from work. Target: p99 < 2 s at 50
alerts/s. With `--database-url` (PostgreSQL, emptied first) the same `imas serve` runs its
worker in-process too (IMAS_EMBEDDED_WORKER=true), for comparison with the embedded default.
With `--serve-workers N`, `imas serve --workers N`: N API processes, each with its in-process
worker, on the same SQLite file (the job means then come from whichever process answers).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
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
from pathlib import Path
from typing import Any

import httpx
from common import machine, reset_postgres

HOOK_PATH = "/pages"
_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class _Receiving(asyncio.Protocol):
    """POST to the hook: recorded (arrival time, body) and answered 200. GET /results reports."""

    def __init__(self, log: list[tuple[float, str]]) -> None:
        self.log = log
        self.buffer = bytearray()
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            total = end + 4 + int(headers.get("content-length") or 0)
            if len(self.buffer) < total:
                return
            body = bytes(self.buffer[end + 4 : total]).decode()
            del self.buffer[:total]
            method, path, _ = head[0].split(" ", 2)
            if method == "POST" and path == HOOK_PATH:
                self.log.append((time.time(), body))
                self.transport.write(_OK)
            else:
                out = json.dumps(self.log).encode()
                self.transport.write(
                    f"HTTP/1.1 200 OK\r\nContent-Length: {len(out)}\r\n\r\n".encode() + out
                )


def receive(port: int) -> None:
    async def main() -> None:
        log: list[tuple[float, str]] = []
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Receiving(log), "127.0.0.1", port, backlog=1024)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _set_up(api: httpx.Client, hook: str) -> str:
    """The user, their webhook, the policy, the service, the integration; returns its key."""
    me = api.get("/api/v1/users/me/").raise_for_status().json()
    api.post(
        "/api/v1/users/me/contact-methods/", json={"kind": "webhook", "target": hook}
    ).raise_for_status()
    policy = (
        api.post(
            "/api/v1/escalation-policies/",
            json={
                "name": "bench",
                "levels": [{"delay_minutes": 30, "targets": [{"type": "user", "id": me["id"]}]}],
            },
        )
        .raise_for_status()
        .json()
    )
    service = (
        api.post("/api/v1/services/", json={"name": "bench", "escalation_policy": policy["id"]})
        .raise_for_status()
        .json()
    )
    integration = (
        api.post(
            "/api/v1/integrations/",
            json={"kind": "generic", "name": "bench", "default_service": service["id"]},
        )
        .raise_for_status()
        .json()
    )
    return str(integration["key"])


async def _load(base: str, key: str, rate: float, seconds: float, run: int) -> dict[str, float]:
    sent: dict[str, float] = {}
    answered: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def post(title: str) -> None:
            nonlocal errors
            sent[title] = time.time()
            response = await client.post(
                "/api/v1/webhooks/generic/",
                headers={"Authorization": f"Bearer {key}"},
                json={"title": title, "severity": "critical", "service": "bench"},
            )
            answered.append(time.time() - sent[title])
            if response.status_code >= 300:
                errors += 1

        tasks = []
        start = time.perf_counter()
        total = int(rate * seconds)
        for i in range(total):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(f"Bench alert {run}-{i}")))
        await asyncio.gather(*tasks)
    answered.sort()
    return {
        "sent": float(total),
        "errors": float(errors),
        "api_p50": answered[len(answered) // 2],
        "api_p99": answered[int(len(answered) * 0.99)],
        **{f"t:{k}": v for k, v in sent.items()},
    }


def one_run(
    run: int,
    rate: float,
    seconds: float,
    settle: float,
    database_url: str | None,
    serve_workers: int = 1,
) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="imas-paging-"))
    port, hook_port = free_port(), free_port()
    env = {
        **os.environ,
        "IMAS_VAR_DIR": str(work),
        "IMAS_SECRET_KEY": "bench-paging",
        "IMAS_RATE_LIMIT_ENABLED": "false",
        "IMAS_LOG_LEVEL": "WARNING",
        "IMAS_WEBHOOK_ALLOW_PRIVATE": "true",
    }
    env.pop("IMAS_DATABASE_URL", None)
    if database_url:
        asyncio.run(reset_postgres(database_url))
        env.update(IMAS_DATABASE_URL=database_url, IMAS_EMBEDDED_WORKER="true")
    imas = [sys.executable, "-m", "imas"]
    subprocess.run(
        [*imas, "user", "create", "bench", "--password", "bench-password", "--org", "bench"],
        env=env,
        check=True,
        capture_output=True,
    )
    token = subprocess.run(
        [*imas, "token", "create", "bench"], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    receiver = subprocess.Popen(
        [sys.executable, __file__, "--receive", str(hook_port)], stdout=subprocess.PIPE
    )
    assert receiver.stdout is not None
    receiver.stdout.readline()
    log = (work / "serve.log").open("wb")
    serve = subprocess.Popen(
        [*imas, "serve", "--port", str(port), "--workers", str(serve_workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, headers={"Authorization": f"Token {token}"}) as api:
            for _ in range(300):
                if serve.poll() is not None:
                    raise SystemExit(f"imas serve exited:\n{(work / 'serve.log').read_text()}")
                with contextlib.suppress(httpx.TransportError):
                    if api.get("/health").status_code == 200:
                        break
                time.sleep(0.2)
            key = _set_up(api, f"http://127.0.0.1:{hook_port}{HOOK_PATH}")
        loaded = asyncio.run(_load(base, key, rate, seconds, run))
        deadline = time.time() + settle
        expected = int(loaded["sent"])
        while True:
            arrived = httpx.get(f"http://127.0.0.1:{hook_port}/results", timeout=30).json()
            if len(arrived) >= expected or time.time() > deadline:
                break
            time.sleep(0.5)
        exposition = httpx.get(f"{base}/metrics", timeout=30).text
    finally:
        _stop(serve)
        receiver.kill()
        receiver.wait()
        shutil.rmtree(work, ignore_errors=True)
    first: dict[str, float] = {}
    for at, body in arrived:
        title = json.loads(body)["title"]
        first.setdefault(title, at)
    delays = sorted(
        first[t] - s for k, s in loaded.items() if k.startswith("t:") and (t := k[2:]) in first
    )
    if not delays:
        raise SystemExit("no page arrived")
    q = statistics.quantiles(delays, n=100, method="inclusive")
    return {
        "p50": q[49],
        "p99": q[98],
        "max": delays[-1],
        "missing": float(expected - len(first)),
        "duplicates": float(len(arrived) - len(first)),
        "errors": loaded["errors"],
        "api_p50": loaded["api_p50"],
        "api_p99": loaded["api_p99"],
        **_job_means(exposition),
    }


def _job_means(exposition: str) -> dict[str, float]:
    """Mean wait (due -> started) and run time per job kind, from IMAS's /metrics (the paging
    jobs, and whatever else the same worker ran meanwhile)."""
    found: dict[str, float] = {}
    for metric, label in (("imas_job_lag_seconds", "lag"), ("imas_job_duration_seconds", "run")):
        sums = dict(re.findall(rf'{metric}_sum{{kind="([^"]+)"}} ([\d.e+-]+)', exposition))
        counts = dict(re.findall(rf'{metric}_count{{kind="([^"]+)"}} ([\d.e+-]+)', exposition))
        for kind, total in sums.items():
            if float(counts.get(kind, 0)):
                found[f"{label}:{kind}"] = float(total) / float(counts[kind])
                found[f"count:{kind}"] = float(counts[kind])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=50.0, help="alerts per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=30.0, help="wait for the last pages")
    parser.add_argument("--database-url", help="PostgreSQL instead of the embedded default")
    parser.add_argument(
        "--serve-workers",
        type=int,
        default=1,
        help="imas serve --workers: API processes, each with its in-process worker",
    )
    parser.add_argument("--receive", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        receive(args.receive)
        return
    results = []
    for run in range(1, args.runs + 1):
        r = one_run(
            run, args.rate, args.seconds, args.settle, args.database_url, args.serve_workers
        )
        results.append(r)
        print(
            f"run {run}: {args.rate:g} alerts/s for {args.seconds:g} s: alert -> first page "
            f"p50 {r['p50'] * 1000:.0f} ms, p99 {r['p99'] * 1000:.0f} ms, "
            f"max {r['max'] * 1000:.0f} ms; missing {r['missing']:.0f}, "
            f"duplicates {r['duplicates']:.0f}, non-2xx {r['errors']:.0f}; "
            f"alert POST answered p50 {r['api_p50'] * 1000:.0f} ms, "
            f"p99 {r['api_p99'] * 1000:.0f} ms; jobs (count, mean wait/run): "
            + ", ".join(
                f"{kind} {r['count:' + kind]:.0f}, {r['lag:' + kind] * 1000:.0f}/"
                f"{r.get('run:' + kind, 0) * 1000:.0f} ms"
                for kind in sorted(k.partition(":")[2] for k in r if k.startswith("lag:"))
            ),
            flush=True,
        )
    p50 = statistics.median(r["p50"] for r in results)
    p99 = statistics.median(r["p99"] for r in results)
    print(
        f"median of {len(results)} runs: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
        f"(target p99 < 2000 ms) {'OK' if p99 < 2 else 'MISSED'}"
    )
    print(f"database: {args.database_url or 'embedded default (SQLite)'}")
    print(f"imas serve --workers {args.serve_workers}")
    print(f"machine: {machine()}; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
