"""The `/api/v1/ansible/` use cases: executing a playbook is requesting a run of the
`ansible_playbook` action (a worker executes it), and the execution history is the list of
those runs. Never commits."""

from __future__ import annotations

from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.automation.actions.ansible_playbook import AnsiblePlaybookParams
from imas.automation.ansible import playbooks
from imas.automation.ansible.repository import ACTION
from imas.automation.ansible.schemas import ExecuteRequest
from imas.automation.models import Run, RunStatus
from imas.automation.service import runs
from imas.config import Settings
from imas.errors import ValidationFailed
from imas.incidents.models import Incident
from imas.orgs.models import User

TIMEOUT_GRACE = timedelta(seconds=30)
"""Beyond the playbook's own timeout (which stops ansible-playbook and says so), the run's."""
STATES: dict[str, str] = {
    RunStatus.PENDING_APPROVAL: "pending",
    RunStatus.QUEUED: "running",
    RunStatus.RETRYING: "running",
    RunStatus.RUNNING: "running",
    RunStatus.WAITING: "running",
    RunStatus.SUCCEEDED: "success",
    RunStatus.FAILED: "failed",
    RunStatus.CANCELLED: "cancelled",
}
"""Run statuses as seed 002 names them."""


def state_of(run: Run) -> str:
    return STATES.get(run.status, run.status)


def statuses(given: str | None) -> list[str]:
    """`?status=` (seed names or run statuses, comma-separated) -> run statuses."""
    found: list[str] = []
    for name in (s.strip() for s in (given or "").split(",")):
        if not name:
            continue
        matching = [s for s, state in STATES.items() if name in (state, s)]
        if not matching:
            allowed = sorted({*STATES.values(), *STATES})
            raise ValidationFailed.field("status", f"'{name}' is none of {', '.join(allowed)}")
        found.extend(matching)
    return found


async def execute(
    session: AsyncSession,
    name: str,
    data: ExecuteRequest,
    incident: Incident | None,
    actor: User,
    settings: Settings,
    *,
    is_admin: bool = False,
) -> Run:
    """Request a run of the playbook `name` (400 for a name with a path, 404 for none)."""
    path = playbooks.resolve(settings, name, "playbook_name")
    try:
        params = AnsiblePlaybookParams.model_validate(
            {"playbook": path.name, **data.model_dump(exclude={"incident"})}
        )
    except ValidationError as exc:
        raise ValidationFailed.from_errors(exc.errors()) from None
    return await runs.request(
        session,
        runs.Requested(
            action=ACTION,
            parameters=params.model_dump(mode="json"),
            timeout_seconds=data.timeout_seconds + int(TIMEOUT_GRACE.total_seconds()),
            max_retries=1,
        ),
        incident,
        actor,
        settings,
        is_admin=is_admin,
    )
