"""Random (UUIDv4) against time-ordered (UUIDv7, `imas.db.new_id`) primary keys, on SQLite.

    python bench/sqlite_ids.py [--rows 300000] [--batch 200] [--runs 2]

Inserts alerts into the real `alerts` table (its schema and indexes, on a fresh SQLite file with
IMAS's settings: WAL, synchronous=NORMAL, 32 MiB cache) in transactions of `--batch` rows, as the
alert intake does, with one kind of id per file, and prints the time per transaction at the
start and at the end of the filling: a random id puts each row of a transaction on another
page of the primary key's index, and that costs more as the table outgrows the cache.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import machine
from sqlalchemy import create_engine, event, insert

from imas.alerts.service.rows import ALERTS, COLUMNS
from imas.db import SQLITE_CACHE_KIB, new_id


def fill(path: Path, make_id: Callable[[], uuid.UUID], rows: int, batch: int) -> list[float]:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def pragmas(conn: Any, _: Any) -> None:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")

    ALERTS.create(engine)  # no foreign keys enforced: only the table and its indexes
    org, integration, now = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
    times = []
    with engine.connect() as conn:
        for start in range(0, rows, batch):
            values = [
                {
                    **dict.fromkeys(COLUMNS),
                    "id": make_id(),
                    "organization_id": org,
                    "integration_id": integration,
                    "source": "alertmanager",
                    "fingerprint": f"fp-{n}",
                    "group_key": f"group-{n % 20}",
                    "status": "firing",
                    "title": f"Alert {n}",
                    "description": "",
                    "labels": {"alertname": f"Group-{n % 20}", "instance": f"host-{n}"},
                    "annotations": {},
                    "severity": "SEV2_HIGH",
                    "first_seen": now,
                    "last_seen": now,
                    "occurrence_count": 1,
                    "links": [],
                    "raw_payload": {"labels": {"instance": f"host-{n}"}},
                    "silenced": False,
                    "is_resolved": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start, start + batch)
            ]
            began = time.perf_counter()
            conn.execute(insert(ALERTS), values)
            conn.commit()
            times.append(time.perf_counter() - began)
    engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    kinds: dict[str, Callable[[], uuid.UUID]] = {"uuid4": uuid.uuid4, "uuid7": new_id}
    tail = max(1, len(range(0, args.rows, args.batch)) // 5)
    results: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory(prefix="imas-ids-") as work:
        for run in range(1, args.runs + 1):
            for kind, make_id in kinds.items():
                times = fill(Path(work) / f"{kind}-{run}.db", make_id, args.rows, args.batch)
                first, last = statistics.mean(times[:tail]), statistics.mean(times[-tail:])
                results[kind].append((first, last))
                print(
                    f"run {run} | {kind} | first fifth {first * 1e3:6.2f} ms, last fifth "
                    f"{last * 1e3:6.2f} ms per transaction of {args.batch} rows"
                )
    print(f"\nmedians over {args.runs} runs ({args.rows} rows, transactions of {args.batch}):")
    for kind, runs in results.items():
        first = statistics.median(r[0] for r in runs) * 1e3
        last = statistics.median(r[1] for r in runs) * 1e3
        print(f"  {kind}: first fifth {first:.2f} ms, last fifth {last:.2f} ms per transaction")


if __name__ == "__main__":
    main()
