"""Waiting (bounded) for a run to end, for `POST .../remediate/`, which answers the seed's
result when the run ends in time."""

from __future__ import annotations

import asyncio
import time
import uuid

from imas.automation import repository
from imas.automation.models import Run, RunLog, RunStatus
from imas.db import Database, acting_in

POLL_SECONDS = 0.1
ENDED = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
NOT_SOON = frozenset({RunStatus.PENDING_APPROVAL, RunStatus.WAITING, RunStatus.RETRYING})
"""States a run leaves only through a person, a remote system or a backoff: not worth waiting."""


async def current_status(db: Database, org_id: uuid.UUID, run_id: uuid.UUID) -> RunStatus:
    async with db.read_sessions() as session:
        with acting_in(session, org_id):
            return RunStatus((await repository.run(session, run_id)).status)


async def wait_for_end(
    db: Database, org_id: uuid.UUID, run_id: uuid.UUID, seconds: float
) -> tuple[Run, list[RunLog]] | None:
    """The run and its log once it has ended, or None if it has not within `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        async with db.read_sessions() as session:
            with acting_in(session, org_id):
                run = await repository.run(session, run_id)
                if run.status in ENDED:
                    logs = (await session.scalars(repository.logs(run.id))).all()
                    return run, list(logs)
        if run.status in NOT_SOON or time.monotonic() >= deadline:
            return None
        await asyncio.sleep(POLL_SECONDS)
