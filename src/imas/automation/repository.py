"""Every query of the automation domain (scoped to the session's organization by `imas.db`)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from imas.api.filtering import apply_ordering
from imas.automation.models import ACTIVE, Executor, Policy, Run, RunLog, RunTask
from imas.errors import NotFound
from imas.repository import get_or_404


async def run(session: AsyncSession, run_id: uuid.UUID | str) -> Run:
    found = await get_or_404(session, Run, run_id, "run")
    if found.pipeline_id is not None:  # a data pipeline's run: `/api/v1/pipeline-runs/`
        raise NotFound.of("run", run_id)
    return found


async def lock_run(session: AsyncSession, run_id: uuid.UUID) -> Run | None:
    """Re-read the run, row-locked until the transaction ends (PostgreSQL; SQLite's write
    transaction already serializes writers)."""
    return await session.scalar(
        select(Run)
        .where(Run.id == run_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def runs(
    *,
    incident_id: uuid.UUID | None = None,
    action: str | None = None,
    status: str | None = None,
    trigger: str | None = None,
    ordering: str | None = None,
) -> Select[Any]:
    stmt = select(Run).where(Run.pipeline_id.is_(None))
    if incident_id is not None:
        stmt = stmt.where(Run.incident_id == incident_id)
    if action:
        stmt = stmt.where(Run.action == action)
    if status:
        stmt = stmt.where(Run.status.in_([s.strip() for s in status.split(",") if s.strip()]))
    if trigger:
        stmt = stmt.where(Run.trigger == trigger)
    return apply_ordering(
        stmt,
        ordering,
        {"created_at": Run.created_at, "finished_at": Run.finished_at, "status": Run.status},
        "-created_at",
        Run.id,
    )


async def tasks(session: AsyncSession, run_id: uuid.UUID) -> list[RunTask]:
    found = await session.scalars(
        select(RunTask).where(RunTask.run_id == run_id).order_by(RunTask.step)
    )
    return list(found.all())


async def task_of_step(session: AsyncSession, run_id: uuid.UUID, step: int) -> RunTask | None:
    return await session.scalar(
        select(RunTask).where(RunTask.run_id == run_id, RunTask.step == step)
    )


def logs(run_id: uuid.UUID, level: str | None = None) -> Select[Any]:
    stmt = select(RunLog).where(RunLog.run_id == run_id)
    if level:
        stmt = stmt.where(RunLog.level.in_([s.strip() for s in level.split(",") if s.strip()]))
    return stmt.order_by(RunLog.seq)


async def last_log_seq(session: AsyncSession, run_id: uuid.UUID) -> int:
    found = await session.scalar(select(func.max(RunLog.seq)).where(RunLog.run_id == run_id))
    return int(found or 0)


async def active_run(
    session: AsyncSession, incident_id: uuid.UUID, action: str | None = None
) -> Run | None:
    """The newest run of the incident still under way (of `action` when given)."""
    stmt = select(Run).where(Run.incident_id == incident_id, Run.status.in_(list(ACTIVE)))
    if action:
        stmt = stmt.where(Run.action == action)
    return await session.scalar(stmt.order_by(Run.created_at.desc()).limit(1))


async def latest_run(session: AsyncSession, incident_id: uuid.UUID) -> Run | None:
    return await session.scalar(
        select(Run)
        .where(Run.incident_id == incident_id, Run.dry_run.is_(False))
        .order_by(Run.created_at.desc())
        .limit(1)
    )


def executors() -> Select[Any]:
    return select(Executor).order_by(Executor.name)


async def executor(session: AsyncSession, executor_id: uuid.UUID | str) -> Executor:
    return await get_or_404(session, Executor, executor_id, "executor")


async def executor_named(session: AsyncSession, name: str) -> Executor | None:
    return await session.scalar(select(Executor).where(Executor.name == name))


async def executor_of_service(session: AsyncSession, service_name: str) -> Executor | None:
    from imas.catalog.models import Service

    return await session.scalar(
        select(Executor)
        .join(Service, Service.id == Executor.service_id)
        .where(Service.name == service_name)
        .order_by(Executor.created_at)
        .limit(1)
    )


def policies() -> Select[Any]:
    return select(Policy).order_by(Policy.name, Policy.id)


async def policy(session: AsyncSession, policy_id: uuid.UUID | str) -> Policy:
    return await get_or_404(session, Policy, policy_id, "policy")


async def enabled_policies(session: AsyncSession) -> list[Policy]:
    found = await session.scalars(select(Policy).where(Policy.enabled.is_(True)))
    return list(found.all())
