"""`/ws/` over a real socket: IMAS served by uvicorn on loopback, a `websockets` client."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from imas.db import Database
from tests.factories import Actor, make_actor
from tests.incidents.factories import make_service


class Served:
    def __init__(self, port: int) -> None:
        self.port = port

    def ws(self, token: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/?token={token}"


@pytest.fixture
async def served(app) -> AsyncIterator[Served]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn says so with a flag only)
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield Served(port)
    server.should_exit = True
    await task


async def next_event(ws: ClientConnection, wait: float = 5.0) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), wait))


async def open_incident(client: httpx.AsyncClient, actor: Actor, service, title: str) -> str:
    response = await client.post(
        "/api/v1/incidents/",
        headers=actor.headers,
        json={"title": title, "service": str(service.id), "severity": "SEV2_HIGH"},
    )
    assert response.status_code == 201, response.text
    return response.json()["short_id"]


async def test_a_client_sees_its_organizations_changes_live(client, db: Database, admin, served):
    service = await make_service(db, admin.org, "checkout")
    async with connect(served.ws(admin.token)) as ws:
        hello = await next_event(ws)
        assert hello == {
            "event": "connected",
            "organization": admin.org.slug,
            "user": admin.user.username,
        }
        short_id = await open_incident(client, admin, service, "Checkout is down")
        created = await next_event(ws)
        assert created["event"] == "new_ticket"
        assert created["event_type"] == "INCIDENT_CREATED"
        assert created["ticket"]["id"] == short_id
        assert created["ticket"]["service"] == "checkout"
        assert created["ticket"]["status"] == "TRIGGERED"

        acked = await client.post(
            f"/api/v1/incidents/{short_id}/acknowledge/", headers=admin.headers
        )
        assert acked.status_code == 200, acked.text
        update = await next_event(ws)
        assert update["event"] == "status_update"
        assert (update["ticket_id"], update["new_status"]) == (short_id, "acknowledged")
        assert update["updated_by"] == admin.user.username

        await ws.send("ping")
        assert await asyncio.wait_for(ws.recv(), 5) == "pong"


async def test_another_organizations_changes_never_arrive(client, db, admin, served):
    ours = await make_service(db, admin.org, "ours")
    stranger = await make_actor(db)
    theirs = await make_service(db, stranger.org, "theirs")
    async with connect(served.ws(admin.token)) as ws:
        await next_event(ws)
        await open_incident(client, stranger, theirs, "Their outage")
        mine = await open_incident(client, admin, ours, "Our outage")
        first = await next_event(ws)
        assert first["ticket"]["id"] == mine


async def test_a_change_that_is_rolled_back_is_never_sent(client, db, admin, served):
    service = await make_service(db, admin.org, "dup")
    async with connect(served.ws(admin.token)) as ws:
        await next_event(ws)
        first = await open_incident(client, admin, service, "Same title")
        assert (await next_event(ws))["ticket"]["id"] == first
        clash = await client.post(
            "/api/v1/incidents/",
            headers=admin.headers,
            json={"title": "Same title", "service": str(service.id)},
        )
        assert clash.status_code == 409
        second = await open_incident(client, admin, service, "Other title")
        assert (await next_event(ws))["ticket"]["id"] == second


@pytest.mark.parametrize(
    ("token", "code"), [("imas_not-a-token", 4401), ("", 4401), ("limited", 4403)]
)
async def test_refused_clients_get_a_reason_and_a_close_code(db, admin, served, token, code):
    if token == "limited":
        token = (await make_actor(db, org=admin.org, scopes=["webhook:read"])).token
    async with connect(served.ws(token)) as ws:
        refused = await next_event(ws)
        assert refused["event"] == "error"
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == code


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_change_made_through_another_process_arrives(client, db, admin, settings):
    """A second IMAS process (`imas serve`) on the same PostgreSQL database: its WebSocket
    client sees a change made through this test's app."""
    if db.dialect != "postgresql":
        pytest.skip("processes share events through PostgreSQL's LISTEN/NOTIFY")
    service = await make_service(db, admin.org, "shared")
    port = _free_port()
    env = {
        **os.environ,
        "IMAS_DATABASE_URL": settings.database_url,
        "IMAS_SECRET_KEY": "other-process",
        "IMAS_EMBEDDED_WORKER": "false",
        "IMAS_AUTO_MIGRATE": "false",
        "IMAS_LOG_LEVEL": "WARNING",
        "IMAS_VAR_DIR": str(settings.var_dir),
    }
    other = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "imas", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.2)
        async with connect(Served(port).ws(admin.token)) as ws:
            await next_event(ws)
            short_id = await open_incident(client, admin, service, "Seen elsewhere")
            created = await next_event(ws, wait=10)
            assert created["ticket"]["id"] == short_id
    finally:
        other.terminate()
        await asyncio.wait_for(other.wait(), 10)
