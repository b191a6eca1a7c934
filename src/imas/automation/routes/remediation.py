"""`POST /api/v1/incidents/{id}/remediate/` (seed 001, scope `automation:execute`, 5 a minute)
and `POST /api/v1/remediation/callback/` (seed 004's Auto-Remediation Callback)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from imas.alerts.service import integrations
from imas.api.deps import LimiterDep, SessionDep, SettingsDep, get_database
from imas.api.ratelimit import client_address
from imas.auth.scopes import ADMIN
from imas.automation import presenters
from imas.automation.models import RunStatus
from imas.automation.routes.deps import Executor
from imas.automation.schemas import (
    CallbackAnswer,
    CallbackBody,
    RemediateRequest,
    RemediationAccepted,
    RemediationExecuted,
    RemediationResult,
)
from imas.automation.service import callback, runs, waiting
from imas.db import Database
from imas.durations import iso_duration
from imas.errors import MalformedJson, NotAuthenticated, NotFound, ValidationFailed
from imas.incidents import repository as incidents
from imas.incidents.deps import IncidentRef

remediate_router = APIRouter(prefix="/api/v1/incidents", tags=["automation"])
callback_router = APIRouter(prefix="/api/v1/remediation", tags=["automation"])


def _timestamp(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@remediate_router.post(
    "/{incident}/remediate/",
    response_model=RemediationExecuted,
    responses={
        202: {"model": RemediationAccepted, "description": "The run goes on (or awaits approval)"}
    },
    summary="Execute an automated remediation (waits for its end up to a bound, else 202)",
)
async def remediate(
    incident: IncidentRef,
    data: RemediateRequest,
    request: Request,
    session: SessionDep,
    principal: Executor,
    settings: SettingsDep,
    limiter: LimiterDep,
    db: Annotated[Database, Depends(get_database)],
    wait: Annotated[bool, Query(description="Wait for the run's end (up to a bound)")] = True,
) -> RemediationExecuted | JSONResponse:
    await limiter.check(request, "automation", principal.rate_key)
    found = await incidents.get(session, incident, ())
    run = await runs.request(
        session,
        runs.Requested(**data.model_dump()),
        found,
        principal.user,
        settings,
        is_admin=ADMIN in principal.scopes,
    )
    run_id, run_status = run.id, run.status
    await session.commit()  # the worker can take the run up now
    ended = None
    if wait and run_status != RunStatus.PENDING_APPROVAL:
        ended = await waiting.wait_for_end(
            db, principal.organization.id, run_id, settings.automation_wait_seconds
        )
    if ended is None:
        current = await waiting.current_status(db, principal.organization.id, run_id)
        accepted = RemediationAccepted(
            message="Remediation awaits approval"
            if current == RunStatus.PENDING_APPROVAL
            else "Remediation started",
            run_id=run_id,
            status=current,
            run_url=f"{presenters.RUNS_PATH}{run_id}/",
        )
        return JSONResponse(accepted.model_dump(mode="json"), status_code=status.HTTP_202_ACCEPTED)
    done, logs = ended
    seconds = (
        (done.finished_at - done.started_at).total_seconds()
        if done.finished_at and done.started_at
        else 0.0
    )
    success = done.status == RunStatus.SUCCEEDED
    details = dict(done.result) if success else {**done.result, "error": done.error}
    return RemediationExecuted(
        message="Remediation executed" if success else f"Remediation {done.status}",
        result=RemediationResult(
            success=success,
            action=done.action,
            execution_time=iso_duration(seconds),
            details=details,
            logs=[f"{_timestamp(line.timestamp)}: {line.message}" for line in logs],
        ),
        run_id=done.id,
        run_url=presenters.run_url(done),
    )


@callback_router.post(
    "/callback/",
    response_model=CallbackAnswer,
    summary="A remote remediation reports an attempt's end (integration key or signature)",
)
async def remediation_callback(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    token: Annotated[str | None, Query(description="An integration key", max_length=200)] = None,
) -> dict[str, Any]:
    raw = await request.body()
    header = request.headers.get("authorization", "")
    key = header.partition(" ")[2].strip() if header.lower().startswith("bearer ") else token
    signed = request.headers.get(callback.SIGNATURE_HEADER)
    if not key and not signed:
        await limiter.check(request, "anonymous", client_address(request))
        raise NotAuthenticated(
            "Send an integration key ('Authorization: Bearer <key>' or '?token=') or sign the "
            f"body ({callback.SIGNATURE_HEADER}: sha256=<HMAC of the body with the run's "
            "callback secret>).",
            details={"reason": "missing credential"},
        )
    try:
        body = CallbackBody.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise MalformedJson() from None
        raise ValidationFailed.from_errors(exc.errors()) from None
    if key:
        integration = await integrations.by_key(session, key)
        if integration is None:
            await limiter.check(request, "anonymous", client_address(request))
            raise NotAuthenticated("Unknown integration key.", details={"reason": "bad key"})
        session.info["organization_id"] = integration.organization_id
        incident = await incidents.get(session, body.ticket_id, ())
        run = await callback.run_for(session, incident, body.run_id)
        if run is None and body.run_id is not None:
            # it names a run IMAS started, but none of this incident: not an external one
            raise NotFound.of("run", body.run_id)
    else:
        found = await callback.incident_for_signature(session, body.ticket_id)
        run = await callback.run_for(session, found, body.run_id) if found else None
        if found is None or run is None:  # 401, not 404: a signature reveals no ticket's existence
            await limiter.check(request, "anonymous", client_address(request))
        callback.check_signature(run, raw, signed or "", settings)
        assert found is not None
        session.info["organization_id"] = found.organization_id
        incident = found
    await limiter.check(request, "webhooks", f"remediation:{incident.organization_id}")
    return await callback.apply(session, incident, run, body, settings)
