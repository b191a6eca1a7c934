"""Asking for a run, approving, confirming and cancelling it. Never commits: the run and the
job that will execute it are written in the caller's transaction (the outbox)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation import repository
from imas.automation import secrets as sealed
from imas.automation.actions import registry
from imas.automation.actions.base import Action
from imas.automation.models import ACTIVE, Executor, Policy, Run, RunStatus, Trigger
from imas.automation.service import effects
from imas.config import Settings
from imas.db import utcnow
from imas.errors import Conflict, PermissionDenied, ValidationFailed
from imas.incidents.models import Incident
from imas.jobs.queue import enqueue
from imas.orgs.models import User

RUN_JOB = "automation.run"
JOB_ATTEMPTS = 5
"""Tries of one step's job (a database hiccup); action attempts are the run's own."""
DEFAULT_TIMEOUT = 300


@dataclass(frozen=True)
class Requested:
    action: str
    parameters: dict[str, Any]
    executor: str | None = None
    dry_run: bool = False
    timeout_seconds: int | None = None
    max_retries: int | None = None
    resolve_incident: bool = False
    trigger: Trigger = Trigger.MANUAL


async def request(
    session: AsyncSession,
    wanted: Requested,
    incident: Incident | None,
    actor: User | None,
    settings: Settings,
    *,
    is_admin: bool = False,
) -> Run:
    """Validate and record a run; it starts now, or waits for approval when a policy says so."""
    action = registry.get(wanted.action)
    params = registry.params(action, wanted.parameters)
    if action.admin_only and not is_admin:
        raise PermissionDenied(f"The action '{action.kind}' is for admins only.")
    executor = await _executor(session, action, wanted, params.model_dump())
    action.check(params, executor is not None)
    await action.load(session, params, settings)  # refuses a runbook that is not there
    run = Run(
        id=uuid.uuid4(),
        incident_id=incident.id if incident else None,
        action=action.kind,
        parameters=params.model_dump(mode="json", exclude_unset=True),
        executor_id=executor.id if executor else None,
        status=RunStatus.QUEUED,
        trigger=wanted.trigger,
        dry_run=wanted.dry_run,
        resolve_incident=wanted.resolve_incident and incident is not None,
        max_retries=1 if wanted.dry_run else (wanted.max_retries or action.max_retries),
        timeout_seconds=wanted.timeout_seconds or DEFAULT_TIMEOUT,
        callback_secret_encrypted=sealed.seal_callback_secret(
            secrets.token_urlsafe(32), settings.secret_key
        ),
        requested_by_id=actor.id if actor else None,
    )
    session.add(run)
    if not wanted.dry_run and await _needs_approval(session, run, incident):
        run.status = RunStatus.PENDING_APPROVAL
        await session.flush()
        await effects.note(session, run, f"Remediation {run.action} awaits an admin's approval")
        return run
    await session.flush()
    await schedule(session, run)
    if not run.dry_run:
        await effects.note(session, run, _requested_text(run, actor))
    return run


def _requested_text(run: Run, actor: User | None) -> str:
    who = actor.username if actor else "auto-remediation"
    return f"Remediation {run.action} requested by {who}"


async def _executor(
    session: AsyncSession, action: Action, wanted: Requested, params: dict[str, Any]
) -> Executor | None:
    executor: Executor | None = None
    if wanted.executor:
        executor = await repository.executor_named(session, wanted.executor)
        if executor is None:
            raise ValidationFailed.field(
                "executor", f"no executor named '{wanted.executor}' in this organization"
            )
    elif isinstance(params.get("executor"), str):
        executor = await repository.executor_named(session, params["executor"])
        if executor is None:
            raise ValidationFailed.field(
                "parameters.executor", f"no executor named '{params['executor']}'"
            )
    elif action.kind == "restart_service" and isinstance(params.get("service_name"), str):
        executor = await repository.executor_of_service(session, params["service_name"])
        if executor is None:
            raise ValidationFailed.field(
                "parameters.service_name",
                f"no executor restarts the service '{params['service_name']}': create one of "
                "kind 'service' for it at /api/v1/automation/executors/",
            )
    if executor is None and action.executor_required:
        raise ValidationFailed.field(
            "executor",
            f"the action '{action.kind}' needs an executor of kind "
            f"{' or '.join(action.executor_kinds)}",
        )
    if executor is not None and executor.kind not in action.executor_kinds:
        raise ValidationFailed.field(
            "executor",
            f"the executor '{executor.name}' is of kind '{executor.kind}'; the action "
            f"'{action.kind}' uses {' or '.join(action.executor_kinds) or 'none'}",
        )
    return executor


def matches(policy: Policy, run: Run, incident: Incident | None) -> bool:
    if policy.actions and run.action not in policy.actions:
        return False
    if policy.service_id and (incident is None or incident.service_id != policy.service_id):
        return False
    return not policy.severities or (
        incident is not None and incident.severity in policy.severities
    )


async def _needs_approval(session: AsyncSession, run: Run, incident: Incident | None) -> bool:
    return any(
        p.require_approval and p.integration_id is None and matches(p, run, incident)
        for p in await repository.enabled_policies(session)
    )


async def schedule(session: AsyncSession, run: Run, delay_seconds: float = 0) -> None:
    """Hand the run to a worker (after `delay_seconds`): a new step, so any older job of it
    finds the run moved on and does nothing."""
    run.step += 1
    await enqueue(
        session,
        RUN_JOB,
        {"run_id": str(run.id), "step": run.step},
        run_at=utcnow() + timedelta(seconds=delay_seconds),
        max_attempts=JOB_ATTEMPTS,
    )


async def approve(session: AsyncSession, run_id: uuid.UUID | str, actor: User) -> Run:
    run = await _locked(session, run_id)
    if run.status != RunStatus.PENDING_APPROVAL:
        raise Conflict(
            f"The run is {run.status}; only a run pending approval can be approved.",
            details={"status": run.status},
        )
    run.status = RunStatus.QUEUED
    run.approved_by_id = actor.id
    run.approved_at = utcnow()
    await schedule(session, run)
    await effects.note(session, run, f"Remediation {run.action} approved by {actor.username}")
    return run


async def confirm(session: AsyncSession, run_id: uuid.UUID | str, actor: User) -> Run:
    """A person confirms the step a runbook run waits at; the run goes on."""
    run = await _locked(session, run_id)
    if run.status != RunStatus.WAITING or run.state.get("waiting") != "confirmation":
        raise Conflict(
            "The run is not waiting for a confirmation.",
            details={"status": run.status, "waiting_for": run.state.get("waiting")},
        )
    run.state = {**run.state, "waiting": None, "confirmed_by": actor.username}
    run.status = RunStatus.QUEUED
    await schedule(session, run)
    return run


async def cancel(session: AsyncSession, run_id: uuid.UUID | str, actor: User) -> Run:
    """A run not yet executing stops now; one executing stops when its current call returns
    (a remote call under way cannot be taken back)."""
    run = await _locked(session, run_id)
    if run.status not in ACTIVE:
        raise Conflict(f"The run is already {run.status}.", details={"status": run.status})
    run.cancel_requested = True
    if run.status != RunStatus.RUNNING:
        await effects.cancelled(session, run, actor.username)
    return run


async def _locked(session: AsyncSession, run_id: uuid.UUID | str) -> Run:
    found = await repository.run(session, run_id)  # 404 for another organization's
    locked = await repository.lock_run(session, found.id)
    assert locked is not None
    return locked
