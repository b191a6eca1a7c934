"""A pipeline run as seed 003 shows it: its status names, and the `status_update` messages the
WebSocket `/ws/pipeline-runs/{id}/` sends as the run moves (through `imas.realtime`, so every
IMAS process's clients get them once the change commits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation.models import Run, RunStatus
from imas.realtime.sink import publish as publish_live

STATES: dict[str, str] = {
    RunStatus.PENDING_APPROVAL: "pending",
    RunStatus.QUEUED: "pending",
    RunStatus.RETRYING: "pending",
    RunStatus.RUNNING: "running",
    RunStatus.WAITING: "running",
    RunStatus.SUCCEEDED: "success",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELLED: "cancelled",
}
SEED_TO_STATUSES: dict[str, list[str]] = {}
for _status, _state in STATES.items():
    SEED_TO_STATUSES.setdefault(_state, []).append(_status)


def state_of(run: Run) -> str:
    return STATES.get(run.status, run.status)


def status_update(run: Run) -> dict[str, Any]:
    return {
        "type": "status_update",
        "data": {
            "run_id": str(run.id),
            "pipeline_id": str(run.pipeline_id),
            "status": state_of(run),
            "progress": round(run.progress, 4),
            "current_step": run.current_step,
            "attempt": run.attempt,
            "error": run.error,
        },
    }


def publish(session: AsyncSession, run: Run) -> None:
    publish_live(session, status_update(run))
