"""Dashboard and summary latency with 100,000 incidents, over real HTTP.

    .venv/bin/python bench/dashboard.py --db sqlite
    .venv/bin/python bench/dashboard.py --db postgresql \
        --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench_dashboard

It builds a fresh database (migrations applied) and bulk-loads `--incidents` incidents with
SQLAlchemy Core: spread over the past year across 50 services and 10 teams, in every status (most
resolved, with acknowledgement and resolution times drawn per severity), each with its opening
timeline entry; one of them, the measured one, has a 40-entry timeline and 10 comments. Then it
starts `imas serve`, logs in through the dashboard's form (the session cookie) and takes an API
token, and times over `--requests` sequential requests per case and `--runs` runs:

  - the dashboard's incident page `/incidents/{short_id}` (cookie), the target: p99 < 100 ms;
  - `GET /api/v1/metrics/summary/?period=1y` (API token), the target: p99 < 100 ms;
  - for reference, the dashboard's incident list (first page) and the 1-year analytics page.

It prints p50/p99 per case and run, the medians across runs, and the machine it ran on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, percentile, reset_postgres

from imas.auth.service import create_api_token, membership_for
from imas.config import Settings
from imas.db import Database, acting_in
from imas.migrations.runner import upgrade
from imas.orgs import service as orgs
from imas.orgs.schemas import OrganizationCreate, UserCreate

SEVERITIES = [("SEV1_CRITICAL", 5), ("SEV2_HIGH", 15), ("SEV3_MEDIUM", 45), ("SEV4_LOW", 35)]
STATUSES = [("RESOLVED", 88), ("TRIGGERED", 5), ("ACKNOWLEDGED", 4), ("MITIGATED", 3)]
CRITICALITY = ["TIER_1_CRITICAL", "TIER_2_HIGH", "TIER_3_MEDIUM", "TIER_4_LOW"]
# Typical minutes to acknowledge and to resolve, per severity (drawn around these).
MINUTES = {
    "SEV1_CRITICAL": (3, 45),
    "SEV2_HIGH": (6, 120),
    "SEV3_MEDIUM": (20, 480),
    "SEV4_LOW": (60, 2880),
}
PASSWORD = "bench-password"
BATCH = 5000


def _seconds(start: datetime, end: datetime | None) -> float | None:
    return None if end is None else (end - start).total_seconds()


def _weighted(pairs: list[tuple[str, int]]) -> list[str]:
    return [name for name, weight in pairs for _ in range(weight)]


async def build(settings: Settings, count: int) -> tuple[str, str, str]:
    """Fill the database; returns (API token, the measured incident's short id, db version)."""
    from imas.catalog.models import Service, Team
    from imas.incidents.models import Comment, Incident, TimelineEntry

    db = Database(settings)
    rng = random.Random(7)
    async with db.transaction() as session:
        org = await orgs.create_organization(
            session, None, OrganizationCreate(name="Bench", slug="bench")
        )
        member = await orgs.create_user(
            session, org.id, UserCreate(username="bench", password=PASSWORD, role="admin")
        )
        membership, _ = await membership_for(session, member.user, "bench")
        _, token = await create_api_token(session, member.user, membership, name="bench")
        user_id = member.user.id
        with acting_in(session, org.id):
            teams = [Team(organization_id=org.id, name=f"team-{i}") for i in range(10)]
            session.add_all(teams)
            await session.flush()
            services = [
                Service(
                    organization_id=org.id,
                    name=f"service-{i:02d}",
                    owner_team_id=teams[i % 10].id,
                    criticality=CRITICALITY[i % 4],
                )
                for i in range(50)
            ]
            session.add_all(services)
            await session.flush()
    service_ids = [s.id for s in services]
    team_ids = [t.id for t in teams]
    severities, statuses = _weighted(SEVERITIES), _weighted(STATUSES)
    # A few services cause most incidents, as in life (the top offenders).
    service_weights = [1.0 / (1 + i) ** 0.8 for i in range(50)]
    now = datetime.now(UTC)
    start = now - timedelta(days=365)
    target_index = count - 10  # recent, still open: the page shows its action buttons
    target_short = f"INC-{target_index:06X}"
    incidents: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []

    async def flush() -> None:
        async with db.engine.begin() as conn:
            if incidents:
                await conn.execute(insert(Incident.__table__), incidents)
            if entries:
                await conn.execute(insert(TimelineEntry.__table__), entries)
            if comments:
                await conn.execute(insert(Comment.__table__), comments)
        incidents.clear()
        entries.clear()
        comments.clear()

    for n in range(count):
        created = start + timedelta(seconds=n * (365 * 86400 / count) + rng.random() * 60)
        severity = rng.choice(severities)
        status = "ACKNOWLEDGED" if n == target_index else rng.choice(statuses)
        ack_m, res_m = MINUTES[severity]
        acked = created + timedelta(minutes=rng.expovariate(1 / ack_m))
        resolved = acked + timedelta(minutes=rng.expovariate(1 / res_m))
        if resolved > now or acked > now:
            status = "TRIGGERED"
        incident_id = uuid.uuid4()
        service_id = rng.choices(service_ids, service_weights)[0]
        team_id = rng.choice(team_ids)  # drawn in the order of earlier runs: the same data
        detected = created - timedelta(seconds=rng.randrange(30, 900))
        acked_at = acked if status != "TRIGGERED" else None
        resolved_at = resolved if status == "RESOLVED" else None
        incidents.append(
            {
                "id": incident_id,
                "organization_id": org.id,
                "short_id": f"INC-{n:06X}",
                "title": f"Incident {n}: {severity.split('_')[0]} on service",
                "description": "synthetic",
                "severity": severity,
                "status": status,
                "service_id": service_id,
                "lead_id": None,
                "assigned_team_id": team_id,
                "affected_systems": [],
                "detected_at": detected,
                "created_at": created,
                "updated_at": created,
                "acknowledged_at": acked_at,
                "acknowledged_by_id": user_id if status != "TRIGGERED" else None,
                "mitigated_at": acked if status in ("MITIGATED", "RESOLVED") else None,
                "resolved_at": resolved_at,
                "resolved_by_id": user_id if status == "RESOLVED" else None,
                # What the ORM's listener stores on every write (a Core insert skips it).
                "seconds_to_detect": (created - detected).total_seconds(),
                "seconds_to_acknowledge": _seconds(created, acked_at),
                "seconds_to_resolve": _seconds(created, resolved_at),
            }
        )
        length = 40 if n == target_index else 1
        for k in range(length):
            entries.append(
                {
                    "id": uuid.uuid4(),
                    "organization_id": org.id,
                    "incident_id": incident_id,
                    "type": "COMMENT" if k else "STATUS_CHANGE",
                    "message": f"entry {k}",
                    "data": {},
                    "actor_id": user_id,
                    "timestamp": created + timedelta(seconds=k),
                }
            )
        if n == target_index:
            for k in range(10):
                comments.append(
                    {
                        "id": uuid.uuid4(),
                        "organization_id": org.id,
                        "incident_id": incident_id,
                        "author_id": user_id,
                        "content": f"Update {k}: still investigating",
                        "comment_type": "update",
                        "created_at": created + timedelta(minutes=k),
                    }
                )
        if len(incidents) >= BATCH:
            await flush()
    await flush()
    # Statistics as a live database has them: PostgreSQL's autovacuum analyzes (VACUUM ANALYZE
    # here, outside a transaction: an ANALYZE in one never committed is thrown away); IMAS never
    # runs ANALYZE on SQLite, so the bench does not either.
    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM ANALYZE"))
            version = "PostgreSQL " + str(
                (await conn.execute(text("SHOW server_version"))).scalar()
            )
        else:
            version = "SQLite " + str(
                (await conn.execute(text("select sqlite_version()"))).scalar()
            )
    await db.dispose()
    return token, target_short, version


def time_requests(client: httpx.Client, url: str, n: int, **kwargs: Any) -> list[float]:
    for _ in range(5):  # warm-up
        client.get(url, **kwargs).raise_for_status()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url, **kwargs)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench_dashboard"
    )
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8932)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="imas-bench-dashboard-"))
    url = f"sqlite+aiosqlite:///{work / 'bench.db'}" if args.db == "sqlite" else args.pg_url
    if args.db == "postgresql":
        asyncio.run(reset_postgres(url))
    upgrade(url)
    settings = Settings(
        database_url=url,
        var_dir=work,
        secret_key="bench",
    )
    began = time.perf_counter()
    token, short_id, version = asyncio.run(build(settings, args.incidents))
    print(f"machine: {machine()} | load average {os.getloadavg()[0]:.1f}")
    print(
        f"database: {version}; {args.incidents} incidents loaded in "
        f"{time.perf_counter() - began:.0f} s"
    )

    env = {
        **os.environ,
        "IMAS_DATABASE_URL": url,
        "IMAS_VAR_DIR": str(work),
        "IMAS_SECRET_KEY": "bench",
        "IMAS_RATE_LIMIT_ENABLED": "false",
        "IMAS_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "imas", "serve", "--port", str(args.port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{args.port}"
    api = {"headers": {"Authorization": f"Token {token}"}}
    try:
        with httpx.Client(timeout=60) as client:
            for _ in range(150):
                try:
                    if client.get(f"{base}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            login = client.post(f"{base}/login", data={"login": "bench", "password": PASSWORD})
            assert login.status_code == 303, login.text
            page = client.get(f"{base}/incidents/{short_id}")
            assert page.status_code == 200, page.status_code
            assert "entry 39" in page.text
            few = max(20, args.requests // 10)  # the reference cases: fewer requests
            cases: dict[str, tuple[str, dict[str, Any], int]] = {
                "dashboard: incident page": (f"{base}/incidents/{short_id}", {}, args.requests),
                "api: summary ?period=1y": (
                    f"{base}/api/v1/metrics/summary/?period=1y",
                    api,
                    args.requests,
                ),
                "dashboard: incident list": (f"{base}/incidents", {}, few),
                "dashboard: analytics 1y": (f"{base}/analytics?period=1y", {}, few),
            }
            results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
            for run in range(1, args.runs + 1):
                for name, (case_url, kwargs, n) in cases.items():
                    samples = time_requests(client, case_url, n, **kwargs)
                    p50, p99 = statistics.median(samples), percentile(samples, 0.99)
                    results[name].append((p50, p99))
                    print(f"run {run} | {name:26} | p50 {p50:7.1f} ms | p99 {p99:7.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\nmedians over {args.runs} runs of {args.requests} requests (reference cases: fewer) "
        f"({args.db}, {args.incidents} incidents):"
    )
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    for name, values in results.items():
        p50 = statistics.median(v[0] for v in values)
        p99 = statistics.median(v[1] for v in values)
        print(f"  {name:26} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms")


if __name__ == "__main__":
    main()
