"""Quality and latency of the built-in root-cause analysis.

    python bench/rca.py                       # SQLite (a fresh file)
    python bench/rca.py --db postgresql --pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench_rca

Builds a history of resolved incidents in labelled families (each family: its own wording with
varied hosts, services and phrasing, one root cause, one resolution), then analyzes held-out
open incidents of those families and reports:
  - precision@5: the share of the 5 most similar incidents that are of the query's family;
  - root-cause accuracy: the share of analyses whose first root cause is the family's;
then pads the history with unrelated resolved incidents up to --total (100,000 by default) and
reports the latency of `analyze` (the service call a request makes, in-process), p50/p99,
medians over --runs runs, with the precision and accuracy at that size. Prints the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import machine, reset_postgres

FAMILIES: list[tuple[list[str], str, str]] = [
    (
        [
            "Database connection pool exhausted on {svc}",
            "{svc} cannot get a database connection",
            "Too many connections to postgres from {svc}",
            "Timeout getting a connection on {svc}",
        ],
        "Connection pool too small",
        "Raised the pool size",
    ),
    (
        [
            "Disk full on {host}",
            "No space left on device on {host}",
            "{host} /var partition at 100%",
        ],
        "Log rotation broken",
        "Fixed logrotate and cleaned old logs",
    ),
    (
        [
            "TLS certificate expired for {svc}",
            "x509 certificate has expired on {svc}",
            "{svc} handshake fails: expired certificate",
        ],
        "Certificate not renewed",
        "Renewed the certificate and fixed the renewal job",
    ),
    (
        [
            "Kafka consumer lag growing on {svc}",
            "{svc} consumers falling behind on kafka topic",
            "Consumer group lag alert for {svc}",
            "Kafka poll timeout on {svc} after deploy",
        ],
        "Slow consumer after deploy",
        "Rolled back the consumer deploy",
    ),
    (
        [
            "OOMKilled pods in {svc}",
            "{svc} containers killed out of memory",
            "Memory limit exceeded for {svc} pods",
        ],
        "Memory leak in cache layer",
        "Fixed the cache eviction and raised limits",
    ),
    (
        [
            "DNS resolution failures from {host}",
            "{host} cannot resolve internal names",
            "NXDOMAIN spikes on {host}",
            "Connection errors to {svc}: name not resolved",
        ],
        "Resolver misconfigured",
        "Restored resolv.conf from the template",
    ),
    (
        [
            "5xx spike on {svc} after deploy",
            "{svc} returning 502 bad gateway",
            "Error rate above SLO on {svc} ingress",
        ],
        "Bad release",
        "Rolled back the release",
    ),
    (
        [
            "Redis evictions spiking on {host}",
            "{host} redis maxmemory reached",
            "Cache hit ratio dropped on redis {host}",
        ],
        "Redis maxmemory too low",
        "Raised maxmemory and moved sessions out",
    ),
    (
        [
            "Airflow DAG {svc} failed with timeout",
            "{svc} DAG task timed out in airflow",
            "Airflow sensor timeout in {svc} pipeline",
        ],
        "Upstream extract late",
        "Moved the sensor window and alerted upstream",
    ),
    (
        [
            "S3 access denied for {svc} exports",
            "{svc} gets 403 from the bucket",
            "AccessDenied writing to s3 from {svc}",
        ],
        "IAM policy changed",
        "Restored the bucket policy",
    ),
]
SERVICES = ["checkout", "payments", "orders", "search", "billing", "catalog", "auth", "cart"]
HOSTS = [f"{kind}-{n}" for kind in ("web", "db", "cache", "worker") for n in range(1, 9)]
FILLER_WORDS = (  # noqa: SIM905 (a list of words, read as a sentence)
    "latency throughput queue cron batch report invoice email webhook frontend mobile "
    "gateway ingress router replica shard index vacuum backup restore snapshot migration "
    "schema feature flag rollout canary scheduler quota budget vendor partner sync export "
    "import upload thumbnail video stream chat notification push sms ledger audit"
).split()


def title(rng: random.Random, family: int) -> str:
    return rng.choice(FAMILIES[family][0]).format(svc=rng.choice(SERVICES), host=rng.choice(HOSTS))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/imas_bench_rca"
    )
    parser.add_argument("--history", type=int, default=1000, help="labelled resolved incidents")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--total", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="imas-rca-"))
    url = f"sqlite+aiosqlite:///{work / 'rca.db'}" if args.db == "sqlite" else args.pg_url
    os.environ.update(IMAS_DATABASE_URL=url, IMAS_VAR_DIR=str(work), IMAS_SECRET_KEY="bench")
    from sqlalchemy import insert, text

    from imas.catalog.models import Service
    from imas.config import Settings
    from imas.db import Database, acting_in
    from imas.incidents.models import Incident
    from imas.migrations.runner import upgrade
    from imas.orgs.models import Organization
    from imas.rca import service

    if args.db == "postgresql":
        await reset_postgres(url)
    await asyncio.to_thread(upgrade, url)
    settings = Settings(database_url=url, var_dir=work, secret_key="bench")
    db = Database(settings)
    org_id, service_id = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC)
    async with db.transaction() as session:
        session.add(Organization(id=org_id, name="bench", slug="bench"))
        await session.flush()
        session.add(Service(id=service_id, organization_id=org_id, name="platform"))

    rng = random.Random(7)
    seq = 0

    def row(title_text: str, status: str, cause: str | None, note: str | None, mttr: int) -> dict:
        nonlocal seq
        seq += 1
        created = now - timedelta(days=rng.uniform(1, 365))
        return {
            "id": uuid.uuid4(),
            "organization_id": org_id,
            "short_id": f"INC-{seq:06X}",
            "title": title_text,
            # Noise: every incident's text also carries words that say nothing of its cause.
            "description": "Seen during " + " ".join(rng.sample(FILLER_WORDS, 3)) + " work.",
            "severity": rng.choice(["SEV1_CRITICAL", "SEV2_HIGH", "SEV3_MEDIUM", "SEV4_LOW"]),
            "status": status,
            "service_id": service_id,
            "detected_at": created,
            "created_at": created,
            "updated_at": created,
            "resolved_at": created + timedelta(seconds=mttr) if status == "RESOLVED" else None,
            "root_cause": cause,
            "resolution_note": note,
            "affected_systems": [],
        }

    family_of: dict[str, int] = {}
    labelled = []
    for n in range(args.history):
        family = n % len(FAMILIES)
        r = row(
            title(rng, family),
            "RESOLVED",
            FAMILIES[family][1],
            FAMILIES[family][2],
            rng.randint(600, 4 * 3600),
        )
        family_of[r["short_id"]] = family
        labelled.append(r)
    # Open incidents' titles are unique per service, hence the number.
    queries = [
        row(f"{title(rng, q % len(FAMILIES))} ({q})", "TRIGGERED", None, None, 0)
        for q in range(args.queries)
    ]
    query_family = {q["short_id"]: i % len(FAMILIES) for i, q in enumerate(queries)}

    async def insert_rows(rows: list[dict]) -> None:
        async with db.transaction() as session:
            for start in range(0, len(rows), 2000):
                await session.execute(insert(Incident), rows[start : start + 2000])

    await insert_rows(labelled + queries)

    async def evaluate() -> tuple[float, float, list[float]]:
        hits, slots, correct, times = 0, 0, 0, []
        for q in queries:
            async with db.transaction() as session, _bound(session, org_id, acting_in):
                started = time.perf_counter()
                stored = await service.analyze(session, q["short_id"], None, settings)
                times.append((time.perf_counter() - started) * 1000)
                _, similar = await service.similar(session, q["short_id"], 5)
            family = query_family[q["short_id"]]
            hits += sum(1 for m in similar if family_of.get(m.incident.short_id) == family)
            slots += 5
            correct += stored.result["root_causes"][0] == FAMILIES[family][1]
        return hits / slots, correct / len(queries), times

    precision, accuracy, _ = await evaluate()
    print(f"machine: {machine()}")
    print(
        f"database: {args.db}; history {args.history} labelled resolved incidents in "
        f"{len(FAMILIES)} families; {len(queries)} queries"
    )
    print(f"precision@5 of similar incidents: {precision:.3f}")
    print(f"first root cause = the family's:  {accuracy:.3f}")

    filler = []
    for _ in range(args.total - len(labelled) - len(queries)):
        words = rng.sample(FILLER_WORDS, 4)
        filler.append(
            row(
                f"{words[0]} {words[1]} issue on {words[2]} {words[3]}",
                "RESOLVED",
                rng.choice([None, "misc"]),
                None,
                rng.randint(60, 7200),
            )
        )
    await insert_rows(filler)
    if args.db == "postgresql":
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE incidents"))
    p50s, p99s = [], []
    for run in range(1, args.runs + 1):
        precision, accuracy, times = await evaluate()
        times.sort()
        p50, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
        p50s.append(p50)
        p99s.append(p99)
        print(
            f"run {run}: analyze with {args.total} incidents: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
            f"(precision@5 {precision:.3f}, first root cause {accuracy:.3f})"
        )
    print(
        f"median over {args.runs} runs: p50 {statistics.median(p50s):.1f} ms, "
        f"p99 {statistics.median(p99s):.1f} ms"
    )
    await db.dispose()


class _bound:
    """Bind the session to the organization for the block (as a request's would be)."""

    def __init__(self, session, org_id, acting_in) -> None:
        self._cm = acting_in(session, org_id)

    async def __aenter__(self) -> None:
        self._cm.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    asyncio.run(main())
