"""The queries of Ansible executions: runs of the `ansible_playbook` action (scoped to the
session's organization by `imas.db`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.api.filtering import apply_ordering
from imas.automation import repository as runs
from imas.automation.ansible.playbooks import SUFFIXES
from imas.automation.models import Run, RunTask
from imas.errors import NotFound

ACTION = "ansible_playbook"


async def execution(session: AsyncSession, execution_id: uuid.UUID) -> Run:
    """The execution (404 for another organization's, or a run of another action)."""
    try:
        run = await runs.run(session, execution_id)
    except NotFound:
        run = None
    if run is None or run.action != ACTION:
        raise NotFound.of("Ansible execution", execution_id)
    return run


def executions(
    *,
    playbook: str | None = None,
    statuses: list[str] | None = None,
    executed_from: datetime | None = None,
    executed_to: datetime | None = None,
    incident_id: uuid.UUID | None = None,
    ordering: str | None = None,
) -> Select[Any]:
    stmt = select(Run).where(Run.action == ACTION, Run.pipeline_id.is_(None))
    if playbook:
        names = [playbook] if playbook.endswith(SUFFIXES) else [playbook + s for s in SUFFIXES]
        stmt = stmt.where(Run.parameters["playbook"].as_string().in_([*names, playbook]))
    if statuses:
        stmt = stmt.where(Run.status.in_(statuses))
    if executed_from is not None:
        stmt = stmt.where(Run.created_at >= executed_from)
    if executed_to is not None:
        stmt = stmt.where(Run.created_at <= executed_to)
    if incident_id is not None:
        stmt = stmt.where(Run.incident_id == incident_id)
    return apply_ordering(
        stmt,
        ordering,
        {"executed_at": Run.created_at, "finished_at": Run.finished_at, "status": Run.status},
        "-executed_at",
        Run.id,
    )


async def results(
    session: AsyncSession, run_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """Each execution's results: what its last task recorded (a failed run keeps them there)."""
    if not run_ids:
        return {}
    found = await session.scalars(
        select(RunTask).where(RunTask.run_id.in_(run_ids)).order_by(RunTask.step)
    )
    return {task.run_id: task.details for task in found.all()}
