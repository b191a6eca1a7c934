"""`/ws/` with the dashboard's session cookie: accepted from the same origin, never from
another site (a cross-site page must not read the organization's events)."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from imas.web.session import SESSION_COOKIE
from tests.web.helpers import log_in


async def _cookie(client, admin) -> str:
    await log_in(client, admin)
    return f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}"


async def test_the_session_cookie_opens_the_live_stream(client, admin, served):
    cookie = await _cookie(client, admin)
    origin = served.base
    async with connect(served.ws(), additional_headers={"Cookie": cookie}, origin=origin) as ws:
        hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert hello["event"] == "connected"
    assert hello["user"] == admin.user.username


async def test_the_cookie_sent_from_another_site_is_ignored(client, admin, served):
    cookie = await _cookie(client, admin)
    async with connect(
        served.ws(), additional_headers={"Cookie": cookie}, origin="https://evil.example"
    ) as ws:
        refused = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert refused["event"] == "error"
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401
