"""`/ws/`: the caller's organization's events, live. Authenticate with `?token=<API token or
JWT access token>` (browsers cannot set headers on a WebSocket), an `Authorization` header,
or the dashboard's session cookie (only from a page of the same origin);
a refused client gets an `error` message and the close code 4401 (no or bad credential) or
4403 (no `incident:read`).

Messages are JSON: `{"event": "connected", ...}` first, then one per event (`new_ticket`,
`status_update`, `ticket_update`, `alert_received`, ...: `imas.realtime.messages`). Send
`ping` to get `pong`. `/ws/pipeline-runs/{id}/` follows one data pipeline run (seed 003);
`/ws/runs/{id}/` one run of the automation engine (an Ansible execution), with its log lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from imas.api.deps import resolve_credential
from imas.auth.scopes import INCIDENT_READ, PIPELINE_READ
from imas.auth.service import Principal
from imas.automation import repository as automation_repository
from imas.automation.service import live as run_live
from imas.config import Settings
from imas.db import Database
from imas.errors import NotAuthenticated, NotFound, PermissionDenied
from imas.pipelines import repository as pipeline_repository
from imas.pipelines.service import progress
from imas.realtime import listener
from imas.realtime.broker import BROKER, Subscription
from imas.web.session import cookie_credential

router = APIRouter(tags=["realtime"])

UNAUTHORIZED, FORBIDDEN, NOT_FOUND, TOO_SLOW = 4401, 4403, 4404, 4008
FINAL = frozenset({"success", "failed", "cancelled"})
RUN_LOG_BACKLOG = 1000
LOG_COLUMNS = ("seq", "timestamp", "level", "message", "task_id")


def _header(websocket: WebSocket, token: str | None) -> str:
    given = websocket.headers.get("authorization")
    if given:
        return given
    if not token:
        return cookie_credential(websocket)  # the dashboard's session (same-origin only)
    return f"Bearer {token}" if token.count(".") == 2 else f"Token {token}"


async def _authenticated(websocket: WebSocket, token: str | None, scope: str) -> Principal | None:
    """The caller, or None once a refused client has been told why and closed."""
    db: Database = websocket.app.state.db
    settings: Settings = websocket.app.state.settings
    async with db.read_sessions() as session:
        try:
            principal = await resolve_credential(_header(websocket, token), session, settings)
            principal.require(scope)
        except (NotAuthenticated, PermissionDenied) as exc:
            # Accepted, then closed with a code the client can read (a refused handshake
            # would only say 403).
            await _refuse(
                websocket,
                exc.message,
                UNAUTHORIZED if isinstance(exc, NotAuthenticated) else FORBIDDEN,
            )
            return None
    return principal


async def _refuse(websocket: WebSocket, error: str, code: int) -> None:
    await websocket.accept()
    await websocket.send_json({"event": "error", "error": error})
    await websocket.close(code=code)


@router.websocket("/ws/")
async def live(websocket: WebSocket, token: str | None = None) -> None:
    db: Database = websocket.app.state.db
    principal = await _authenticated(websocket, token, INCIDENT_READ)
    if principal is None:
        return
    await listener.ensure(db)
    subscription = BROKER.subscribe(principal.organization.id)
    try:
        await websocket.accept()
        await websocket.send_json(
            {
                "event": "connected",
                "organization": principal.organization.slug,
                "user": principal.user.username,
            }
        )
        await _pump(websocket, subscription)
    except WebSocketDisconnect:
        pass
    finally:
        BROKER.unsubscribe(subscription)


@router.websocket("/ws/pipeline-runs/{run_id}/")
async def pipeline_run_live(
    websocket: WebSocket, run_id: uuid.UUID, token: str | None = None
) -> None:
    """Seed 003's live progress of one pipeline run: `{"type": "status_update", "data":
    {"run_id", "status", "progress", "current_step", ...}}`, the run's current state first,
    then each change; closed (1000) after the run's final status. 4404 for a run that is not
    the organization's."""
    db: Database = websocket.app.state.db
    principal = await _authenticated(websocket, token, PIPELINE_READ)
    if principal is None:
        return
    await listener.ensure(db)
    subscription = BROKER.subscribe(principal.organization.id)  # before the snapshot: no gap
    try:
        async with db.read_sessions() as session:
            session.info["organization_id"] = principal.organization.id
            try:
                run = await pipeline_repository.pipeline_run(session, run_id)
            except NotFound as exc:
                await _refuse(websocket, exc.message, NOT_FOUND)
                return
            first = progress.status_update(run)
        await websocket.accept()
        await websocket.send_json(first)
        if first["data"]["status"] in FINAL:
            await websocket.close()
            return
        wanted = str(run_id)

        def keep(msg: dict[str, Any]) -> bool:
            data = msg.get("data")
            return (
                msg.get("type") == "status_update"
                and isinstance(data, dict)
                and (data.get("run_id") == wanted)
            )

        def last(msg: dict[str, Any]) -> bool:
            return msg["data"].get("status") in FINAL

        await _pump(websocket, subscription, keep=keep, last=last)
    except WebSocketDisconnect:
        pass
    finally:
        BROKER.unsubscribe(subscription)


@router.websocket("/ws/runs/{run_id}/")
async def run_live_log(websocket: WebSocket, run_id: uuid.UUID, token: str | None = None) -> None:
    """One run of the automation engine (an Ansible execution, a remediation): a
    `status_update` with its state first, then its log so far (`{"type": "log", "data": {"seq",
    "timestamp", "level", "message", ...}}`, at most the first RUN_LOG_BACKLOG lines), then
    each new line and status change; closed (1000) after its final status. 4404 for a run that
    is not the organization's."""
    db: Database = websocket.app.state.db
    principal = await _authenticated(websocket, token, INCIDENT_READ)
    if principal is None:
        return
    await listener.ensure(db)
    subscription = BROKER.subscribe(principal.organization.id)  # before the snapshot: no gap
    try:
        async with db.read_sessions() as session:
            session.info["organization_id"] = principal.organization.id
            try:
                run = await automation_repository.run(session, run_id)
            except NotFound as exc:
                await _refuse(websocket, exc.message, NOT_FOUND)
                return
            first = run_live.status_update(run)
            stmt = automation_repository.logs(run.id).limit(RUN_LOG_BACKLOG)
            backlog = [
                run_live.log_line(run.id, {c: getattr(r, c) for c in LOG_COLUMNS})
                for r in (await session.scalars(stmt)).all()
            ]
        await websocket.accept()
        await websocket.send_json(first)
        for line in backlog:
            await websocket.send_json(line)
        if run.status in run_live.FINAL:
            await websocket.close()
            return
        wanted = str(run_id)
        sent = {"seq": backlog[-1]["data"]["seq"] if backlog else 0}

        def keep(msg: dict[str, Any]) -> bool:
            data = msg.get("data")
            if not isinstance(data, dict) or data.get("run_id") != wanted:
                return False
            if msg.get("type") == "log":
                if int(data.get("seq", 0)) <= sent["seq"]:
                    return False  # already sent with the backlog
                sent["seq"] = int(data["seq"])
                return True
            return msg.get("type") == "status_update" and "action" in data

        def last(msg: dict[str, Any]) -> bool:
            return msg["type"] == "status_update" and msg["data"].get("status") in run_live.FINAL

        await _pump(websocket, subscription, keep=keep, last=last)
    except WebSocketDisconnect:
        pass
    finally:
        BROKER.unsubscribe(subscription)


async def _pump(
    websocket: WebSocket,
    subscription: Subscription,
    *,
    keep: Callable[[dict[str, Any]], bool] | None = None,
    last: Callable[[dict[str, Any]], bool] | None = None,
) -> None:
    """Send the subscription's messages (those `keep` accepts) until the client goes, falls
    too far behind, or a message `last` accepts was sent (then the connection is closed)."""

    async def read() -> None:
        while True:
            if await websocket.receive_text() == "ping":
                await websocket.send_text("pong")

    async def write() -> None:
        while True:
            msg = await subscription.queue.get()
            if keep is not None and not keep(msg):
                continue
            await websocket.send_json(msg)
            if last is not None and last(msg):
                return

    tasks = [
        asyncio.create_task(read()),
        asyncio.create_task(write()),
        asyncio.create_task(subscription.overflowed.wait()),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
    if subscription.overflowed.is_set():
        await websocket.close(code=TOO_SLOW, reason="too far behind: reconnect")
        return
    for task in done:
        task.result()  # a disconnect ends the connection quietly, anything else is raised
    if last is not None:
        await websocket.close()
