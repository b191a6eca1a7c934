"""Runbooks: create, edit, delete; steps are given in order and replaced as a whole."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog import lookups, repository
from imas.catalog.models import Runbook, RunbookStep, Service
from imas.catalog.schemas.runbooks import RunbookCreate, RunbookUpdate, StepIn, order_steps
from imas.catalog.service.common import delete
from imas.db import utcnow
from imas.repository import get_or_404

THING = "Runbook"


async def get_runbook(session: AsyncSession, runbook_id: uuid.UUID) -> Runbook:
    return await get_or_404(session, Runbook, runbook_id, "runbook", repository.RUNBOOK_LOAD)


async def _service(session: AsyncSession, service_id: uuid.UUID | None) -> Service | None:
    return None if service_id is None else await lookups.service_ref(session, service_id)


def _steps(steps: list[StepIn]) -> list[RunbookStep]:
    return [RunbookStep(**step.model_dump()) for step in order_steps(steps)]


async def create_runbook(session: AsyncSession, data: RunbookCreate) -> Runbook:
    runbook = Runbook(
        title=data.title,
        description=data.description,
        service=await _service(session, data.service),
        steps=_steps(data.steps),
    )
    session.add(runbook)
    await session.flush()
    return runbook


async def update_runbook(session: AsyncSession, runbook: Runbook, data: RunbookUpdate) -> Runbook:
    """Change the fields `data` sets (`runbook` loaded with its service and steps); `steps`
    replaces every step (the new ones get new ids)."""
    if "service" in data.model_fields_set:
        runbook.service = await _service(session, data.service)
    if data.title is not None:
        runbook.title = data.title
    if data.description is not None:
        runbook.description = data.description
    if data.steps is not None:
        # The old steps go first: a new step may take an order (unique per runbook) they held.
        runbook.steps = []
        await session.flush()
        runbook.steps = _steps(data.steps)
        runbook.updated_at = utcnow()
    await session.flush()
    return runbook


async def delete_runbook(session: AsyncSession, runbook: Runbook) -> None:
    """Its steps go with it."""
    await delete(session, runbook, THING, in_use="other data still references it")
