"""Alert ingest throughput and latency, IMAS against Prometheus Alertmanager on the same load.

    python bench/ingest.py --db sqlite
    python bench/ingest.py --db postgresql --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench
    python bench/ingest.py --peer alertmanager        # also runs the same load against Alertmanager

It starts `imas serve` itself on a fresh database (durable: a 2xx only after commit), creates an
organization, a service and an Alertmanager integration, then drives two loads with `wrk` from a
second process on loopback:
  - batched: Alertmanager webhook posts of 100 alerts (50 new fingerprints, 40 repeats of known
    ones, 10 resolutions), at concurrency 4; like Alertmanager's own posts, each is one group
    (one of 20 alertnames, so 20 incidents, each alert differing by `instance`);
  - single: posts of one alert (half new, half repeats) at concurrency 16.
It prints alerts/s, requests/s, p50/p99 latency and the server's peak RSS for each run, the
medians over `--runs`, and the machine. With `--peer alertmanager` the same two loads go to
Alertmanager's own API (`POST /api/v2/alerts`, in memory) in the same invocation, so the ratio
comes from one run. `wrk` comes from Debian's package of that name (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx
from common import machine, peak_rss_mib, reset_postgres

LUA = textwrap.dedent(
    """
    local counter = 0
    local per_post = tonumber(os.getenv("ALERTS_PER_POST"))
    local shape = os.getenv("SHAPE")  -- "imas" (Alertmanager's webhook) or "alertmanager" (its API)
    local thread_id = 0
    setup = function(thread) thread:set("id", thread_id); thread_id = thread_id + 1 end
    init = function(args) math.randomseed(id * 7919 + os.time()) end

    -- Like Alertmanager's webhook, a post is one group of alerts: they share the group's
    -- alertname (20 groups, each one incident in IMAS) and differ by instance.
    local function alert(group, kind, n)
      local instance, status, ends = "", "firing", "0001-01-01T00:00:00Z"
      if kind == "new" then instance = string.format("new-%d-%d-%d", id, counter, n)
      else instance = string.format("known-%d", math.random(0, 199)) end
      if kind == "resolved" then status = "resolved"; ends = "2026-01-01T00:05:00Z" end
      local labels = string.format(
        '{"alertname":"%s","service":"bench-service","severity":"warning","instance":"%s"}', group, instance)
      if shape == "alertmanager" then
        if kind ~= "resolved" then ends = "2999-01-01T00:00:00Z" end
        return string.format('{"labels":%s,"annotations":{"summary":"%s on %s"},"startsAt":"2026-01-01T00:00:00Z","endsAt":"%s"}',
          labels, group, instance, ends)
      end
      return string.format(
        '{"status":"%s","labels":%s,"annotations":{"summary":"%s on %s"},"startsAt":"2026-01-01T00:00:00Z","endsAt":"%s","fingerprint":"%s-%s","generatorURL":"http://prometheus:9090/graph"}',
        status, labels, group, instance, ends, group, instance)
    end

    request = function()
      counter = counter + 1
      local parts = {}
      local group = string.format("Group-%d", math.random(0, 19))
      for n = 1, per_post do
        local kind = "known"
        if per_post == 1 then
          if counter % 2 == 0 then kind = "new" end
        elseif n <= per_post / 2 then kind = "new"
        elseif n > per_post * 0.9 then kind = "resolved" end
        parts[#parts + 1] = alert(group, kind, n)
      end
      local alerts = "[" .. table.concat(parts, ",") .. "]"
      if shape == "alertmanager" then return wrk.format("POST", nil, nil, alerts) end
      return wrk.format("POST", nil, nil,
        '{"version":"4","groupKey":"bench","status":"firing","receiver":"imas","alerts":' .. alerts .. '}')
    end
    """
)

LOADS = {"batched": (100, 4), "single": (1, 16)}


def wrk(
    url: str,
    headers: dict[str, str],
    shape: str,
    per_post: int,
    concurrency: int,
    seconds: int,
    script: Path,
) -> dict[str, float]:
    args = [
        "wrk",
        "-t",
        str(min(concurrency, 2)),
        "-c",
        str(concurrency),
        "-d",
        f"{seconds}s",
        "--latency",
        "-s",
        str(script),
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    env = {**os.environ, "ALERTS_PER_POST": str(per_post), "SHAPE": shape}
    out = subprocess.run([*args, url], capture_output=True, text=True, env=env, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def ms(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {
        "rps": rps,
        "alerts_s": rps * per_post,
        "p50": ms("50"),
        "p99": ms("99"),
        "errors": float(non2xx[1]) if non2xx else 0.0,
    }


def start_imas(
    db_url: str, work: Path, port: int, workers: int
) -> tuple[subprocess.Popen[bytes], str]:
    env = {
        **os.environ,
        "IMAS_DATABASE_URL": db_url,
        "IMAS_VAR_DIR": str(work),
        "IMAS_SECRET_KEY": "bench",
        "IMAS_RATE_LIMIT_ENABLED": "false",
        "IMAS_LOG_LEVEL": "WARNING",
    }
    imas = [sys.executable, "-m", "imas"]
    subprocess.run(
        [
            *imas,
            "user",
            "create",
            "bench",
            "--password",
            "bench-password",
            "--org",
            "bench",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    token = subprocess.run(
        [*imas, "token", "create", "bench"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    server = subprocess.Popen(
        [*imas, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(
        base_url=base, headers={"Authorization": f"Token {token}"}, timeout=30
    ) as api:
        for _ in range(100):
            try:
                if api.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        service = (
            api.post("/api/v1/services/", json={"name": "bench-service"}).raise_for_status().json()
        )
        integration = (
            api.post(
                "/api/v1/integrations/",
                json={
                    "kind": "alertmanager",
                    "name": "bench",
                    "default_service": service["id"],
                },
            )
            .raise_for_status()
            .json()
        )
    return server, integration["key"]


def start_alertmanager(work: Path, port: int) -> subprocess.Popen[bytes]:
    config = work / "alertmanager.yml"
    config.write_text("route:\n  receiver: devnull\nreceivers:\n  - name: devnull\n")
    binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if binary is None:
        raise SystemExit("Alertmanager is not installed (apt-get install prometheus-alertmanager)")
    server = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={work / 'am'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/-/ready").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench"
    )
    parser.add_argument("--peer", choices=["none", "alertmanager"], default="none")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--loads", default=",".join(LOADS), help="which loads to run, comma-separated"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="IMAS API processes (imas serve --workers)"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")

    work = Path(tempfile.mkdtemp(prefix="imas-ingest-"))
    script = work / "load.lua"
    script.write_text(LUA)
    db_url = f"sqlite+aiosqlite:///{work / 'ingest.db'}" if args.db == "sqlite" else args.pg_url
    if args.db == "postgresql":
        asyncio.run(reset_postgres(db_url))
    print(f"machine: {machine()}")
    targets = {"imas": None, **({"alertmanager": None} if args.peer == "alertmanager" else {})}
    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    imas, key = start_imas(db_url, work, 8941, args.workers)
    peer = start_alertmanager(work, 9893) if args.peer == "alertmanager" else None
    try:
        for run in range(1, args.runs + 1):
            for target in targets:
                for load in args.loads.split(","):
                    per_post, concurrency = LOADS[load]
                    if target == "imas":
                        url, headers, shape, pid = (
                            "http://127.0.0.1:8941/api/v1/webhooks/alertmanager/",
                            {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
                            "imas",
                            imas.pid,
                        )
                    else:
                        assert peer is not None
                        url, headers, shape, pid = (
                            "http://127.0.0.1:9893/api/v2/alerts",
                            {"Content-Type": "application/json"},
                            "alertmanager",
                            peer.pid,
                        )
                    figures = wrk(url, headers, shape, per_post, concurrency, args.seconds, script)
                    figures["rss_mib"] = peak_rss_mib(pid)
                    results.setdefault((target, load), []).append(figures)
                    print(
                        f"run {run} | {target:12} | {load:7} | "
                        f"{figures['alerts_s']:9.0f} alerts/s | "
                        f"{figures['rps']:8.0f} req/s | p50 {figures['p50']:7.1f} ms | "
                        f"p99 {figures['p99']:7.1f} ms | non-2xx {figures['errors']:.0f} | "
                        f"peak RSS {figures['rss_mib']:.0f} MiB"
                    )
    finally:
        imas.terminate()
        if peer is not None:
            peer.terminate()
        imas.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nmedians over {args.runs} runs of {args.seconds} s ({args.db}):")
    for (target, load), runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            f"  {target:12} {load:7} {med['alerts_s']:9.0f} alerts/s  {med['rps']:8.0f} req/s  "
            f"p50 {med['p50']:6.1f} ms  p99 {med['p99']:6.1f} ms  peak RSS {med['rss_mib']:.0f} MiB"
        )
    print(
        json.dumps(
            {
                f"{t}/{ld}": statistics.median(r["alerts_s"] for r in v)
                for (t, ld), v in results.items()
            }
        )
    )


if __name__ == "__main__":
    main()
