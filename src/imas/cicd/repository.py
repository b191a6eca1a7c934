"""Every query of the CI/CD domain (scoped to the session's organization by `imas.db`, except
the receivers' look-up of a repository by name across organizations, which says so)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from imas.api.filtering import apply_ordering
from imas.cicd.models import ChangeEvent, CiRepository, CiRun, CiStage
from imas.db import memoized
from imas.repository import get_or_404

RUN_ORDERING = {
    "created_at": CiRun.created_at,
    "started_at": CiRun.started_at,
    "finished_at": CiRun.finished_at,
    "duration": CiRun.duration_seconds,
    "status": CiRun.status,
    "branch": CiRun.branch,
}


async def ci_repository(session: AsyncSession, ident: uuid.UUID | str) -> CiRepository:
    return await get_or_404(
        session, CiRepository, ident, "repository", options=(joinedload(CiRepository.service),)
    )


def ci_repositories(*, provider: str | None, service_id: uuid.UUID | None) -> Select[Any]:
    stmt = select(CiRepository).options(joinedload(CiRepository.service))
    if provider:
        stmt = stmt.where(CiRepository.provider == provider)
    if service_id:
        stmt = stmt.where(CiRepository.service_id == service_id)
    return stmt.order_by(CiRepository.full_name, CiRepository.id)


async def candidates(session: AsyncSession, provider: str, full_name: str) -> list[CiRepository]:
    """The active repositories of every organization with this provider and name: a receiver
    does not know the organization until a signature verifies (deliberately `all_orgs`)."""
    found = await session.scalars(
        select(CiRepository)
        .where(
            CiRepository.provider == provider,
            CiRepository.full_name == full_name.lower(),
            CiRepository.is_active.is_(True),
        )
        .options(joinedload(CiRepository.service))
        .execution_options(all_orgs=True)
    )
    return list(found.all())


def runs(
    *,
    repository: str | None,
    branch: str | None,
    status: str | None,
    is_deployment: bool | None,
    ordering: str | None,
) -> Select[Any]:
    stmt = select(CiRun).options(joinedload(CiRun.repository))  # its name
    if repository:
        stmt = stmt.where(
            CiRun.repository_id.in_(
                select(CiRepository.id).where(CiRepository.full_name == repository.lower())
            )
        )
    if branch:
        stmt = stmt.where(CiRun.branch == branch)
    if status:
        stmt = stmt.where(CiRun.status == status)
    if is_deployment is not None:
        stmt = stmt.where(CiRun.is_deployment.is_(is_deployment))
    return apply_ordering(stmt, ordering, RUN_ORDERING, "-created_at", CiRun.id)


async def run(session: AsyncSession, ident: uuid.UUID | str) -> CiRun:
    return await get_or_404(
        session,
        CiRun,
        ident,
        "pipeline",
        options=(joinedload(CiRun.repository), selectinload(CiRun.stages)),
    )


async def run_by_external(
    session: AsyncSession, repository_id: uuid.UUID, external_id: str
) -> CiRun | None:
    return await session.scalar(
        select(CiRun)
        .where(CiRun.repository_id == repository_id, CiRun.external_id == external_id)
        .options(selectinload(CiRun.stages))
        .execution_options(populate_existing=True)
    )


async def stages_of(session: AsyncSession, run_id: uuid.UUID) -> list[CiStage]:
    found = await session.scalars(
        select(CiStage)
        .where(CiStage.run_id == run_id)
        .order_by(CiStage.position, CiStage.started_at, CiStage.id)
    )
    return list(found.all())


async def change_by_key(session: AsyncSession, key: str) -> ChangeEvent | None:
    return await session.scalar(select(ChangeEvent).where(ChangeEvent.dedup_key == key))


def changes(*, service_id: uuid.UUID | None, kind: str | None) -> Select[Any]:
    stmt = select(ChangeEvent)
    if service_id:
        stmt = stmt.where(ChangeEvent.service_id == service_id)
    if kind:
        stmt = stmt.where(ChangeEvent.kind == kind)
    return stmt.order_by(ChangeEvent.occurred_at.desc(), ChangeEvent.id)


async def changes_before(
    session: AsyncSession, service_id: uuid.UUID, start: datetime, end: datetime
) -> Sequence[ChangeEvent]:
    found = await session.scalars(
        select(ChangeEvent)
        .where(
            ChangeEvent.service_id == service_id,
            ChangeEvent.occurred_at >= start,
            ChangeEvent.occurred_at <= end,
        )
        .order_by(ChangeEvent.occurred_at, ChangeEvent.id)
    )
    return found.all()


async def any_change_of(session: AsyncSession, service_id: uuid.UUID) -> bool:
    async def load() -> bool:
        found = await session.scalar(
            select(ChangeEvent.id).where(ChangeEvent.service_id == service_id).limit(1)
        )
        return found is not None

    return await memoized(session, ("any_change_of", service_id), load)
