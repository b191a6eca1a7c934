"""WAL checkpoints of an SQLite database on a thread of their own, off the event loop.

By default SQLite checkpoints in the commit that takes the write-ahead log past 1,000 pages: that
commit copies the pages into the database file and syncs it, which on a busy alert intake made
one commit in ten take 10-30 ms instead of under one, on the event loop's thread (the write
connections run inline: `imas.sqlite_inline`), holding up every request meanwhile. Here a thread
runs a PASSIVE checkpoint every `interval` seconds instead: it copies what no reader still needs
without taking the write lock, and Python's sqlite3 releases the GIL while SQLite works. The
connections keep an automatic checkpoint at `BACKSTOP_PAGES`, in case this thread falls behind.
"""

from __future__ import annotations

import sqlite3
import threading

import structlog

INTERVAL_SECONDS = 0.1
BACKSTOP_PAGES = 10_000

log = structlog.get_logger(__name__)


class Checkpointer:
    def __init__(self, path: str, interval: float = INTERVAL_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while not self._stop.wait(self.interval):
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, isolation_level=None)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # the file is gone, or not a database yet
                    log.debug("sqlite_checkpoint_failed", error=str(exc))
        finally:
            if conn is not None:
                conn.close()
