"""`/ws/`: the caller's organization's events, live. Authenticate with `?token=<API token or
JWT access token>` (browsers cannot set headers on a WebSocket), an `Authorization` header,
or the dashboard's session cookie (only from a page of the same origin);
a refused client gets an `error` message and the close code 4401 (no or bad credential) or
4403 (no `incident:read`).

Messages are JSON: `{"event": "connected", ...}` first, then one per event (`new_ticket`,
`status_update`, `ticket_update`, `alert_received`, ...: `imas.realtime.messages`). Send
`ping` to get `pong`.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from imas.api.deps import resolve_credential
from imas.auth.scopes import INCIDENT_READ
from imas.config import Settings
from imas.db import Database
from imas.errors import NotAuthenticated, PermissionDenied
from imas.realtime import listener
from imas.realtime.broker import BROKER, Subscription
from imas.web.session import cookie_credential

router = APIRouter(tags=["realtime"])

UNAUTHORIZED, FORBIDDEN, TOO_SLOW = 4401, 4403, 4008


def _header(websocket: WebSocket, token: str | None) -> str:
    given = websocket.headers.get("authorization")
    if given:
        return given
    if not token:
        return cookie_credential(websocket)  # the dashboard's session (same-origin only)
    return f"Bearer {token}" if token.count(".") == 2 else f"Token {token}"


@router.websocket("/ws/")
async def live(websocket: WebSocket, token: str | None = None) -> None:
    db: Database = websocket.app.state.db
    settings: Settings = websocket.app.state.settings
    async with db.read_sessions() as session:
        try:
            principal = await resolve_credential(_header(websocket, token), session, settings)
            principal.require(INCIDENT_READ)
        except (NotAuthenticated, PermissionDenied) as exc:
            # Accepted, then closed with a code the client can read (a refused handshake
            # would only say 403).
            await websocket.accept()
            await websocket.send_json({"event": "error", "error": exc.message})
            await websocket.close(
                code=UNAUTHORIZED if isinstance(exc, NotAuthenticated) else FORBIDDEN
            )
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


async def _pump(websocket: WebSocket, subscription: Subscription) -> None:
    """Send the subscription's messages until the client goes or falls too far behind."""

    async def read() -> None:
        while True:
            if await websocket.receive_text() == "ping":
                await websocket.send_text("pong")

    async def write() -> None:
        while True:
            await websocket.send_json(await subscription.queue.get())

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
