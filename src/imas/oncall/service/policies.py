"""Escalation policies: ordered levels of targets, stored as data (an escalation under way
keeps the copy it started with)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.catalog.service.common import delete, save_named
from imas.errors import ValidationFailed
from imas.notify.channels import registry as channels
from imas.oncall import repository
from imas.oncall.models import EscalationPolicy
from imas.oncall.schemas import ChannelTarget, Level, PolicyCreate, PolicyUpdate, ScheduleTarget
from imas.oncall.service.common import org_users
from imas.repository import get_or_404

THING = "Escalation policy"


async def get_policy(session: AsyncSession, policy_id: uuid.UUID) -> EscalationPolicy:
    return await get_or_404(session, EscalationPolicy, policy_id, "escalation policy")


async def policy_ref(session: AsyncSession, policy_id: uuid.UUID, field: str) -> EscalationPolicy:
    """The policy, or a 400 on `field` (for references in other bodies: services)."""
    found = await session.get(EscalationPolicy, policy_id)
    if found is None or found.organization_id != session.info.get("organization_id"):
        raise ValidationFailed.field(field, "Escalation policy with this ID does not exist.")
    return found


def check_channel_kind(kind: str, field: str) -> None:
    if kind not in channels.kinds():
        raise ValidationFailed.field(
            field, f"unknown channel kind '{kind}'; use one of: {', '.join(channels.kinds())}"
        )


async def _levels(session: AsyncSession, levels: Sequence[Level]) -> list[dict[str, Any]]:
    for i, level in enumerate(levels):
        users = [t.id for t in level.targets if t.type == "user"]
        await org_users(session, users, f"levels.{i}.targets")
        schedule_ids = [t.id for t in level.targets if isinstance(t, ScheduleTarget)]
        found = {s.id for s in await repository.schedules_by_id(session, schedule_ids)}
        for sid in schedule_ids:
            if sid not in found:
                raise ValidationFailed.field(
                    f"levels.{i}.targets", f"Schedule with ID {sid} does not exist."
                )
        for target in level.targets:
            if isinstance(target, ChannelTarget):
                check_channel_kind(target.kind, f"levels.{i}.targets")
    return [level.model_dump(mode="json") for level in levels]


async def create_policy(session: AsyncSession, data: PolicyCreate) -> EscalationPolicy:
    policy = EscalationPolicy(
        name=data.name,
        description=data.description,
        repeat=data.repeat,
        levels=await _levels(session, data.levels),
    )
    await save_named(session, policy, THING)
    return policy


async def update_policy(
    session: AsyncSession, policy: EscalationPolicy, data: PolicyUpdate
) -> EscalationPolicy:
    levels = await _levels(session, data.levels) if data.levels is not None else None
    if data.name is not None:
        policy.name = data.name
    if data.description is not None:
        policy.description = data.description
    if data.repeat is not None:
        policy.repeat = data.repeat
    if levels is not None:
        policy.levels = levels
    await save_named(session, policy, THING)
    return policy


async def delete_policy(session: AsyncSession, policy: EscalationPolicy) -> None:
    """Services using it lose their policy; escalations under way go on with their copy."""
    await delete(session, policy, THING, in_use="other data still references it")
