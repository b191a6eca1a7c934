"""Auto-remediation: a firing alert whose classification says it is remediable, from an
integration (or for a service) that an enabled policy auto-remediates, starts the action its
source names for it (`FailureSource.remedy`), once per incident at a time, resolving the
incident when it works. With a Logic App executor, the Logic App gets the failure (the seed's
flow) and reports through the callback."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from imas.alerts.classification import by_error_type
from imas.alerts.sources import registry as sources
from imas.alerts.sources.failures import FailureSource, Remedy
from imas.automation import repository
from imas.automation.models import Executor, Policy, Trigger
from imas.automation.service import effects, runs
from imas.config import get_settings
from imas.db import org_of
from imas.errors import IMASError
from imas.incidents.models import Incident

log = structlog.get_logger("imas.automation")
LOGIC_APP = "logic_app_trigger"
_CACHE = "automation.auto_policies"


def _applies(policy: Policy, alert: dict[str, Any]) -> bool:
    if not policy.auto_remediate:
        return False
    if policy.integration_id is not None and str(policy.integration_id) != str(
        alert.get("integration_id")
    ):
        return False
    if policy.service_id is not None and str(policy.service_id) != str(alert.get("service_id")):
        return False
    return not policy.severities or alert.get("severity") in policy.severities


def remedy_of(alert: dict[str, Any]) -> tuple[Remedy, int] | None:
    """The remedy of a remediable alert, with the attempts its classification allows."""
    labels = alert.get("labels") or {}
    found = by_error_type(labels.get("error_type"))
    if found is None or not found.is_remediable:
        return None
    try:
        source = sources.get(str(alert.get("source")))
    except IMASError:
        return None
    if not issubclass(source, FailureSource):
        return None
    remedy = source.remedy({str(k): str(v) for k, v in labels.items()}, found)
    return (remedy, found.max_retries) if remedy is not None else None


async def auto_policies(session: AsyncSession) -> list[Policy]:
    """The organization's enabled auto-remediating policies, read once per transaction (a post
    of a hundred alerts asks a hundred times)."""
    transaction = session.sync_session.get_transaction()
    cache: tuple[object, dict[uuid.UUID, list[Policy]]] | None = session.info.get(_CACHE)
    if cache is None or cache[0] is not transaction:  # one group commit, several orgs
        cache = (transaction, {})
        session.info[_CACHE] = cache
    org = org_of(session)
    if org not in cache[1]:
        enabled = await repository.enabled_policies(session)
        cache[1][org] = [p for p in enabled if p.auto_remediate]
    return cache[1][org]


async def on_alert(session: AsyncSession, data: dict[str, Any], policies: list[Policy]) -> None:
    alert = data.get("alert")
    if not isinstance(alert, dict) or alert.get("status") != "firing" or alert.get("silenced"):
        return
    if alert.get("incident_id") is None:
        return
    found = remedy_of(alert)
    if found is None:
        return
    remedy, attempts = found
    policy = next((p for p in policies if _applies(p, alert)), None)
    if policy is None:
        return
    incident_id = uuid.UUID(str(alert["incident_id"]))
    if await repository.active_run(session, incident_id) is not None:
        return  # one remediation of an incident at a time; repeats of the alert start none
    executor = await session.get(Executor, policy.executor_id) if policy.executor_id else None
    action, parameters = remedy.action, remedy.parameters
    if executor is not None and executor.kind == "logic_app":
        action, parameters = LOGIC_APP, {"payload": {**remedy.parameters, "action": remedy.action}}
    if policy.actions and action not in policy.actions:
        return
    incident = await session.get(Incident, incident_id)  # the intake holds it locked
    if incident is None:
        return
    wanted = runs.Requested(
        action=action,
        parameters=parameters,
        executor=executor.name if executor else None,
        max_retries=policy.max_retries or attempts or None,
        resolve_incident=True,
        trigger=Trigger.AUTO,
    )
    try:
        async with session.begin_nested():
            await runs.request(session, wanted, incident, None, get_settings())
    except IMASError as exc:  # a policy that cannot work must not lose the alert
        log.warning("auto_remediation_refused", action=action, reason=exc.message)
        await effects.note_incident(
            session, incident, f"Auto-remediation {action} not started: {exc.message}"
        )
