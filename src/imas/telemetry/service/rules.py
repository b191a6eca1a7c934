"""Alert rules' CRUD: every change re-arms the rule's evaluation (a new `schedule_version`, so
the evaluation job already queued becomes a no-op, and a disabled rule has none)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.db import utcnow
from imas.errors import Conflict
from imas.orgs.models import User
from imas.repository import save_unique
from imas.telemetry.models import Rule
from imas.telemetry.schemas import RuleCreate, RuleUpdate
from imas.telemetry.service import evaluate, schedule

_RENAMED = {"window": "window_seconds", "for_": "for_seconds", "interval": "interval_seconds"}


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    out = {_RENAMED.get(k, k): v for k, v in values.items()}
    if "matchers" in out:
        out["matchers"] = [dict(m) for m in out["matchers"]]
    for key in ("aggregation", "comparison"):
        if key in out and out[key] is not None:
            out[key] = str(out[key])
    return out


def _duplicate(name: str) -> Conflict:
    return Conflict(
        f"A rule named '{name}' already exists in this organization.",
        error="Rule already exists",
        details={"field": "name"},
    )


async def create(session: AsyncSession, data: RuleCreate, user: User | None) -> Rule:
    rule = Rule(**_columns(data.model_dump()), created_by_id=user.id if user else None)
    await save_unique(session, lambda: session.add(rule), _duplicate(data.name))
    await schedule.arm(session, rule, utcnow())
    return rule


async def update(session: AsyncSession, rule: Rule, data: RuleUpdate) -> Rule:
    changes = _columns(data.model_dump(exclude_unset=True))
    for key, value in changes.items():
        setattr(rule, key, value)
    await save_unique(session, lambda: None, _duplicate(rule.name))
    if not rule.enabled:
        await evaluate.resolve_all(session, rule, utcnow())
    await schedule.arm(session, rule, utcnow())
    return rule


async def delete(session: AsyncSession, rule: Rule) -> None:
    """Delete the rule; its series states go with it, and the alerts it fired are resolved."""
    await evaluate.resolve_all(session, rule, utcnow())
    await session.delete(rule)
    await session.flush()
