"""`runbook`: a runbook's steps, in order. A step whose `command` is a JSON object
`{"action": "http_request", "parameters": {...}}` runs that action (any but `runbook` and
`shell`); any other step is an instruction for people, written to the log. A step marked
`requires_confirmation` waits, before it runs, until someone confirms it
(`POST /api/v1/automation/runs/{id}/confirm/`); the run then goes on from that step.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

from pydantic import Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from imas.automation import secrets as sealed
from imas.automation.actions.base import (
    Action,
    ActionContext,
    ActionFailed,
    ExecutorInfo,
    Outcome,
    Params,
)
from imas.config import Settings
from imas.errors import ValidationFailed

NOT_NESTED = frozenset({"runbook", "shell"})


class RunbookParams(Params):
    runbook_id: uuid.UUID = Field(description="The runbook to execute")


def _nested(command: str | None) -> dict[str, Any] | None:
    try:
        found = json.loads(command or "")
    except ValueError:
        return None
    return found if isinstance(found, dict) and isinstance(found.get("action"), str) else None


class Runbook(Action):
    kind = "runbook"
    description = "Execute a runbook's steps in order, waiting for confirmation where asked."
    Params = RunbookParams
    max_retries = 1

    async def load(self, session: AsyncSession, params: Any, settings: Settings) -> dict[str, Any]:
        from imas.automation import repository
        from imas.automation.actions import registry
        from imas.catalog.models import Runbook as RunbookRow

        runbook = await session.scalar(
            select(RunbookRow)
            .where(RunbookRow.id == params.runbook_id)
            .options(selectinload(RunbookRow.steps))
        )
        if runbook is None:
            raise ValidationFailed.field("parameters.runbook_id", "no such runbook")
        steps: list[dict[str, Any]] = []
        executors: dict[str, Any] = {}
        for step in runbook.steps:
            nested = _nested(step.command)
            if nested is not None:
                if nested["action"] in NOT_NESTED:
                    raise ValidationFailed.field(
                        "parameters.runbook_id",
                        f"step {step.order} runs '{nested['action']}', which a runbook may not",
                    )
                registry.params(registry.get(nested["action"]), nested.get("parameters") or {})
                name = nested.get("executor") or (nested.get("parameters") or {}).get("executor")
                if isinstance(name, str) and name not in executors:
                    executor = await repository.executor_named(session, name)
                    if executor is None:
                        raise ValidationFailed.field(
                            "parameters.runbook_id", f"step {step.order}: no executor '{name}'"
                        )
                    executors[name] = ExecutorInfo(
                        name=executor.name,
                        kind=executor.kind,
                        base_url=executor.base_url,
                        config=dict(executor.config),
                        credentials=sealed.open_credentials(
                            executor.credentials_encrypted, settings.secret_key
                        ),
                    )
            steps.append(
                {
                    "order": step.order,
                    "title": step.title,
                    "command": step.command,
                    "nested": nested,
                    "requires_confirmation": step.requires_confirmation,
                }
            )
        return {"title": runbook.title, "steps": steps, "executors": executors}

    def plan(self, ctx: ActionContext) -> dict[str, Any]:
        return {
            "runbook": ctx.loaded.get("title"),
            "steps": [
                {
                    "order": s["order"],
                    "title": s["title"],
                    "runs": s["nested"]["action"] if s["nested"] else None,
                    "requires_confirmation": s["requires_confirmation"],
                }
                for s in ctx.loaded.get("steps", [])
            ],
        }

    async def run(self, ctx: ActionContext) -> Outcome:
        from imas.automation.actions import registry

        steps: list[dict[str, Any]] = ctx.loaded.get("steps", [])
        start = int(ctx.state.get("next_step", 0))
        confirmed = ctx.state.get("confirmed_by")
        done: list[dict[str, Any]] = list(ctx.state.get("done", []))
        for index in range(start, len(steps)):
            step = steps[index]
            label = f"Step {step['order']} ({step['title']})"
            if step["requires_confirmation"] and not (confirmed and index == start):
                ctx.log("info", f"{label} waits for confirmation")
                return Outcome(
                    True,
                    {"steps": done, "waiting_at": step["order"]},
                    waiting="confirmation",
                    state={"next_step": index, "done": done},
                )
            if step["requires_confirmation"]:
                ctx.log("info", f"{label} confirmed by {confirmed}")
            nested = step["nested"]
            if nested is None:
                ctx.log("info", f"{label}: {step['command'] or 'no command'} (for people)")
                done.append({"order": step["order"], "title": step["title"], "ran": None})
                continue
            action = registry.get(nested["action"])
            name = nested.get("executor") or (nested.get("parameters") or {}).get("executor")
            inner = replace(
                ctx,
                params=registry.params(action, nested.get("parameters") or {}),
                executor=ctx.loaded["executors"].get(name) if isinstance(name, str) else None,
                state={},
                loaded={},
            )
            ctx.log("info", f"{label}: running {action.kind}")
            try:
                outcome = await action.run(inner)
            except ActionFailed as exc:
                raise ActionFailed(
                    f"{label} failed: {exc}", {"steps": done, **exc.details}
                ) from None
            done.append(
                {
                    "order": step["order"],
                    "title": step["title"],
                    "ran": action.kind,
                    **outcome.details,
                }
            )
            if not outcome.success:
                return Outcome(False, {"steps": done}, error=f"{label} failed: {outcome.error}")
        ctx.log("info", f"Runbook {ctx.loaded.get('title')} completed")
        return Outcome(True, {"runbook": ctx.loaded.get("title"), "steps": done})
