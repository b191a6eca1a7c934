"""Queries of the on-call domain. Each starts from a plain select of an `OrgOwned` model, which
the session's tenancy guard (`imas.db`) scopes to the caller's organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.interfaces import ORMOption

from imas.catalog.models import Service
from imas.db import memoized
from imas.oncall.models import (
    ContactMethod,
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    NotificationRule,
    Schedule,
    ScheduleOverride,
)
from imas.orgs.models import Membership, User

SCHEDULE_LOAD: Sequence[ORMOption] = (selectinload(Schedule.layers),)


def schedules(time_zone: str | None = None) -> Select[Any]:
    stmt = select(Schedule).options(*SCHEDULE_LOAD)
    if time_zone is not None:
        stmt = stmt.where(Schedule.time_zone == time_zone)
    return stmt


def overrides(schedule_id: uuid.UUID, ending_after: datetime | None = None) -> Select[Any]:
    stmt = select(ScheduleOverride).where(ScheduleOverride.schedule_id == schedule_id)
    if ending_after is not None:
        stmt = stmt.where(ScheduleOverride.ends_at > ending_after)
    return stmt.order_by(ScheduleOverride.starts_at, ScheduleOverride.id)


async def overrides_at(
    session: AsyncSession, schedule_ids: Sequence[uuid.UUID], at: datetime
) -> list[ScheduleOverride]:
    """The overrides of these schedules covering `at`, oldest made first."""
    found = await session.scalars(
        select(ScheduleOverride)
        .where(
            ScheduleOverride.schedule_id.in_(schedule_ids),
            ScheduleOverride.starts_at <= at,
            ScheduleOverride.ends_at > at,
        )
        .order_by(ScheduleOverride.created_at, ScheduleOverride.id)
    )
    return list(found.all())


async def schedules_by_id(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[Schedule]:
    if not ids:
        return []
    found = await session.scalars(schedules().where(Schedule.id.in_(ids)))
    return list(found.all())


def policies() -> Select[Any]:
    return select(EscalationPolicy)


async def org_users(session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[User]:
    """The users among `ids` who are members of the session's organization."""
    if not ids:
        return []

    async def load() -> list[User]:
        found = await session.scalars(
            select(User).join(Membership, Membership.user_id == User.id).where(User.id.in_(ids))
        )
        return list(found.all())

    return await memoized(session, ("org_users", frozenset(ids)), load)


def contact_methods(user_id: uuid.UUID) -> Select[Any]:
    return select(ContactMethod).where(ContactMethod.user_id == user_id)


def notification_rules(user_id: uuid.UUID) -> Select[Any]:
    return select(NotificationRule).where(NotificationRule.user_id == user_id)


async def rules_and_methods(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> tuple[list[NotificationRule], list[ContactMethod]]:
    async def load() -> tuple[list[NotificationRule], list[ContactMethod]]:
        rules = await session.scalars(
            select(NotificationRule).where(NotificationRule.user_id.in_(user_ids))
        )
        methods = await session.scalars(
            select(ContactMethod)
            .where(ContactMethod.user_id.in_(user_ids))
            .order_by(ContactMethod.created_at)
        )
        return list(rules.all()), list(methods.all())

    return await memoized(session, ("rules_and_methods", frozenset(user_ids)), load)


async def any_service_with_policy(session: AsyncSession) -> bool:
    async def load() -> bool:
        found = await session.scalar(
            select(Service.id).where(Service.escalation_policy_id.is_not(None)).limit(1)
        )
        return found is not None

    return await memoized(session, ("any_service_with_policy",), load)


async def active_escalation_of(session: AsyncSession, incident_id: uuid.UUID) -> Escalation | None:
    return await session.scalar(
        select(Escalation)
        .where(Escalation.incident_id == incident_id, Escalation.status == EscalationStatus.ACTIVE)
        .with_for_update()
    )


async def any_active_escalation(session: AsyncSession) -> bool:
    found = await session.scalar(
        select(Escalation.id).where(Escalation.status == EscalationStatus.ACTIVE).limit(1)
    )
    return found is not None


async def lock_escalation(session: AsyncSession, escalation_id: uuid.UUID) -> Escalation | None:
    return await session.scalar(
        select(Escalation).where(Escalation.id == escalation_id).with_for_update()
    )
