"""`/ws/pipeline-runs/{id}/` over a real socket (IMAS on uvicorn, a `websockets` client): the
seed's `status_update` messages, in order, as a run moves; on PostgreSQL the run is executed by
a worker in another process, whose changes reach this process through LISTEN/NOTIFY."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
from websockets.asyncio.client import connect

from tests.notify.test_crash import WorkerProcess
from tests.pipelines.conftest import running_worker
from tests.pipelines.helpers import add_connector, add_pipeline, execute, extract_step

SLOW_ROWS = "SELECT i AS id, pg_sleep(0.004) AS slept FROM generate_series(1, 1000) AS i"


async def receive(ws, wait: float = 20.0) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), wait)))


async def test_a_client_follows_a_run_from_pending_to_success(
    client,
    admin,
    db,
    settings,
    served,
    pg_source,
    tmp_path,
    request,
):
    source = await add_connector(client, admin, pg_source)
    pipeline = await add_pipeline(
        client,
        admin,
        [extract_step(source, SLOW_ROWS, name="Extract Slowly", batch_rows=100)],
    )
    run_id = await execute(client, admin, pipeline["id"])  # no worker yet: it stays pending
    url = f"ws://127.0.0.1:{served.port}/ws/pipeline-runs/{run_id}/?token={admin.token}"
    async with connect(url) as ws:
        first = await receive(ws)
        assert first["type"] == "status_update"
        assert first["data"]["run_id"] == run_id
        assert first["data"]["status"] == "pending"
        async with contextlib.AsyncExitStack() as stack:
            if db.dialect == "postgresql":  # another process executes it
                other = WorkerProcess(settings.database_url, settings.secret_key, tmp_path, "w")
                stack.push_async_callback(other.stop)
            else:
                await stack.enter_async_context(running_worker(db, settings))
            updates = [first]
            while updates[-1]["data"]["status"] not in ("success", "failed", "cancelled"):
                updates.append(await receive(ws))

    statuses = [u["data"]["status"] for u in updates]
    assert statuses[0] == "pending"
    assert statuses[-1] == "success"
    assert set(statuses[1:-1]) == {"running"}
    progress = [u["data"]["progress"] for u in updates if u["data"]["status"] == "running"]
    assert len(progress) >= 3
    assert progress == sorted(progress)
    assert 0 < progress[-1] < 1
    assert updates[-1]["data"]["progress"] == 1
    assert any(u["data"]["current_step"] == "Extract Slowly" for u in updates[1:-1])


async def test_another_organizations_run_is_closed_with_4404(
    client,
    admin,
    outsider,
    served,
    pg_source,
):
    source = await add_connector(client, admin, pg_source)
    pipeline = await add_pipeline(
        client,
        admin,
        [extract_step(source, "SELECT 1 AS one")],
    )
    run_id = await execute(client, admin, pipeline["id"])
    url = f"ws://127.0.0.1:{served.port}/ws/pipeline-runs/{run_id}/?token={outsider.token}"

    async with connect(url) as ws:
        refused = await receive(ws)
        await asyncio.wait_for(ws.wait_closed(), 5)

    assert refused["event"] == "error"
    assert ws.close_code == 4404


@pytest.mark.parametrize(("token", "code"), [("", 4401), ("nonsense", 4401)])
async def test_a_client_without_a_credential_is_refused(served, token, code):
    url = f"ws://127.0.0.1:{served.port}/ws/pipeline-runs/00000000-0000-0000-0000-000000000000/"
    async with connect(url + (f"?token={token}" if token else "")) as ws:
        await receive(ws)
        await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == code
