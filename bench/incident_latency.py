"""Incident list and detail latency with a large table, over real HTTP.

    python bench/incident_latency.py --db sqlite
    python bench/incident_latency.py --db postgresql --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench

It builds a fresh database (migrations applied) holding `--incidents` incidents spread over a
year in every state, 20 services, 8 teams and tags, plus one incident with a 50-entry timeline;
starts `imas serve` on it; then times, over `--requests` sequential requests per case and
`--runs` runs, a filtered first page of the list and the detail of the 50-entry incident. It
prints p50/p99 per case and run, their medians across runs, and the machine it ran on.
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

import httpx
from common import machine, percentile, reset_postgres
from sqlalchemy import insert, text

from imas.auth.service import create_api_token, membership_for
from imas.config import Settings
from imas.db import Database, acting_in
from imas.migrations.runner import upgrade
from imas.orgs import service as orgs
from imas.orgs.schemas import OrganizationCreate, UserCreate

SEVERITIES = ["SEV1_CRITICAL", "SEV2_HIGH", "SEV3_MEDIUM", "SEV4_LOW"]
STATUS_WEIGHTS = [("RESOLVED", 85), ("TRIGGERED", 6), ("ACKNOWLEDGED", 5), ("MITIGATED", 4)]


async def build(settings: Settings, count: int) -> tuple[str, str, str, str]:
    """Fill the database; returns (token, service id, incident id with 50 entries, db version)."""
    from imas.catalog.models import Service, Tag, Team
    from imas.incidents.models import Incident, TimelineEntry, incident_tags

    db = Database(settings)
    rng = random.Random(42)
    async with db.transaction() as session:
        org = await orgs.create_organization(
            session, None, OrganizationCreate(name="Bench", slug="bench")
        )
        member = await orgs.create_user(
            session, org.id, UserCreate(username="bench", password="bench-password", role="admin")
        )
        membership, _ = await membership_for(session, member.user, "bench")
        _, token = await create_api_token(session, member.user, membership, name="bench")
        user_id = member.user.id
        with acting_in(session, org.id):
            teams = [Team(organization_id=org.id, name=f"team-{i}") for i in range(8)]
            session.add_all(teams)
            await session.flush()
            services = [
                Service(
                    organization_id=org.id,
                    name=f"service-{i:02d}",
                    owner_team_id=teams[i % 8].id,
                    criticality=f"TIER_{1 + i % 4}_" + ["CRITICAL", "HIGH", "MEDIUM", "LOW"][i % 4],
                )
                for i in range(20)
            ]
            tags = [Tag(organization_id=org.id, name=f"tag-{i}") for i in range(10)]
            session.add_all(services + tags)
            await session.flush()
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    start = datetime.now(UTC) - timedelta(days=365)
    batch: list[dict[str, object]] = []
    links: list[dict[str, object]] = []
    entries: list[dict[str, object]] = []
    target = uuid.uuid4()

    async def flush_batch() -> None:
        async with db.engine.begin() as conn:
            if batch:
                await conn.execute(insert(Incident.__table__), batch)
            if links:
                await conn.execute(insert(incident_tags), links)
            if entries:
                await conn.execute(insert(TimelineEntry.__table__), entries)
        batch.clear()
        links.clear()
        entries.clear()

    for n in range(count):
        created = start + timedelta(seconds=n * (365 * 86400 // count))
        status = rng.choice(statuses)
        incident_id = target if n == count - 1 else uuid.uuid4()
        service = services[rng.randrange(20)]
        batch.append(
            {
                "id": incident_id,
                "organization_id": org.id,
                "short_id": f"INC-{n:06X}",
                "title": f"Incident {n} on {service.name}",
                "description": "synthetic load",
                "severity": rng.choice(SEVERITIES),
                "status": status,
                "service_id": service.id,
                "lead_id": user_id,
                "assigned_team_id": teams[rng.randrange(8)].id,
                "affected_systems": [],
                "detected_at": created - timedelta(minutes=5),
                "created_at": created,
                "updated_at": created,
                "acknowledged_at": created + timedelta(minutes=3)
                if status != "TRIGGERED"
                else None,
                "resolved_at": created + timedelta(hours=1) if status == "RESOLVED" else None,
            }
        )
        links.append({"incident_id": incident_id, "tag_id": tags[n % 10].id})
        timeline_len = 50 if n == count - 1 else 1
        for k in range(timeline_len):
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
        if len(batch) >= 5000:
            await flush_batch()
    await flush_batch()
    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            await conn.execute(text("ANALYZE"))
            version = (await conn.execute(text("SHOW server_version"))).scalar()
        else:
            await conn.execute(text("ANALYZE"))
            version = "SQLite " + str(
                (await conn.execute(text("select sqlite_version()"))).scalar()
            )
    await db.dispose()
    return token, str(services[3].id), str(target), str(version)


def time_requests(client: httpx.Client, url: str, headers: dict[str, str], n: int) -> list[float]:
    for _ in range(5):  # warm-up
        client.get(url, headers=headers).raise_for_status()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench"
    )
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=8931)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="imas-bench-"))
    url = f"sqlite+aiosqlite:///{work / 'bench.db'}" if args.db == "sqlite" else args.pg_url
    if args.db == "postgresql":
        asyncio.run(reset_postgres(url))
    upgrade(url)
    settings = Settings(
        database_url=url, var_dir=work, secret_key="bench", rate_limit_enabled=False
    )
    began = time.perf_counter()
    token, service_id, target, version = asyncio.run(build(settings, args.incidents))
    print(f"machine: {machine()}")
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
    headers = {"Authorization": f"Token {token}"}
    cases = {
        "list: filtered first page": (
            f"{base}/api/v1/incidents/?status=triggered,acknowledged&severity=SEV1_CRITICAL"
        ),
        "list: by service, first page": f"{base}/api/v1/incidents/?service={service_id}",
        "list: unfiltered first page": f"{base}/api/v1/incidents/",
        "detail: 50-entry timeline": f"{base}/api/v1/incidents/{target}/",
    }
    try:
        with httpx.Client(timeout=30) as client:
            for _ in range(100):
                try:
                    if client.get(f"{base}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            detail = client.get(cases["detail: 50-entry timeline"], headers=headers).json()
            assert len(detail["timeline"]) == 50, "the detail case must carry 50 timeline entries"
            results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
            for run in range(1, args.runs + 1):
                for name, case_url in cases.items():
                    samples = time_requests(client, case_url, headers, args.requests)
                    p50, p99 = statistics.median(samples), percentile(samples, 0.99)
                    results[name].append((p50, p99))
                    print(f"run {run} | {name:30} | p50 {p50:6.1f} ms | p99 {p99:6.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"\nmedians over {args.runs} runs of {args.requests} requests "
        f"({args.db}, {args.incidents} incidents):"
    )
    for name, values in results.items():
        p50 = statistics.median(v[0] for v in values)
        p99 = statistics.median(v[1] for v in values)
        print(f"  {name:30} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")


if __name__ == "__main__":
    main()
