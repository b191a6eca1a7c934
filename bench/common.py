"""What every benchmark here shares: the machine line it prints, percentiles, a process tree's
peak memory, and an emptied PostgreSQL database (created when it does not exist yet)."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.node()} | {cpu} | {os.cpu_count()} cores | Python {platform.python_version()}"
    )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def peak_rss_mib(pid: int) -> float:
    """The peak resident set (VmHWM) of a process and its children, in MiB."""
    children = subprocess.run(
        ["pgrep", "-P", str(pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    total = 0
    for p in [pid, *map(int, children)]:
        try:
            match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text())
        except OSError:
            continue
        total += int(match[1]) if match else 0
    return total / 1024


async def reset_postgres(url: str) -> None:
    """An empty database at `url`: its schema dropped and made again, or the database created."""
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        exists = await conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    await admin.dispose()
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()
