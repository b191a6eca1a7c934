from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.errors import ValidationFailed
from imas.incidents import repository
from imas.incidents.models import Severity, SlaPolicy
from imas.incidents.schemas import SlaPolicyRead, SlaPolicyUpdate
from imas.incidents.sla import DEFAULT_TARGETS


async def list_policies(session: AsyncSession) -> list[SlaPolicyRead]:
    """The four severities' targets: the org's own, or IMAS's defaults."""
    own = await repository.sla_policies(session)
    out = []
    for severity in Severity:
        policy = own.get(severity)
        default = DEFAULT_TARGETS[severity]
        out.append(
            SlaPolicyRead(
                severity=severity,
                ack_seconds=policy.ack_seconds if policy else default.ack_seconds,
                resolve_seconds=policy.resolve_seconds if policy else default.resolve_seconds,
                is_default=policy is None,
            )
        )
    return out


async def set_policy(
    session: AsyncSession, severity: Severity, data: SlaPolicyUpdate
) -> SlaPolicyRead:
    if data.resolve_seconds < data.ack_seconds:
        raise ValidationFailed.field("resolve_seconds", "must not be shorter than ack_seconds")
    policy = (await repository.sla_policies(session)).get(severity)
    if policy is None:
        policy = SlaPolicy(
            severity=severity, ack_seconds=data.ack_seconds, resolve_seconds=data.resolve_seconds
        )
        try:
            async with session.begin_nested():
                session.add(policy)
                await session.flush()
        except IntegrityError:  # created concurrently: update that one
            policy = (await repository.sla_policies(session))[severity]
    policy.ack_seconds = data.ack_seconds
    policy.resolve_seconds = data.resolve_seconds
    await session.flush()
    return SlaPolicyRead(
        severity=severity,
        ack_seconds=policy.ack_seconds,
        resolve_seconds=policy.resolve_seconds,
        is_default=False,
    )
