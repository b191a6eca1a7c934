"""A real Prometheus Alertmanager posting to a running IMAS.

The test starts IMAS with uvicorn on a free loopback port and Alertmanager (the Debian package
`prometheus-alertmanager`) with a generated configuration whose webhook receiver points at it,
authenticated with the integration's key. Alerts are posted to Alertmanager's own API; IMAS
must receive them as one grouped incident, and their resolution must mitigate it.

Skipped when the binary is missing, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from imas.db import utcnow
from tests.alerts.factories import Hook
from tests.factories import Actor

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
IN_CI = os.environ.get("CI", "").lower() == "true"
WAIT_SECONDS = 40

pytestmark = pytest.mark.skipif(
    BINARY is None and not IN_CI,
    reason="Prometheus Alertmanager is not installed (apt-get install prometheus-alertmanager)",
)

CONFIG = """\
route:
  receiver: imas
  group_by: ['service', 'alertname']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: imas
    webhook_configs:
      - url: 'http://127.0.0.1:{imas_port}/api/v1/webhooks/alertmanager/'
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: '{key}'
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def imas_url(app: FastAPI) -> AsyncIterator[str]:
    """IMAS served by uvicorn on loopback, on the tests' database."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture
async def alertmanager_url(tmp_path: Path, imas_url: str, am: Hook) -> AsyncIterator[str]:
    """Alertmanager on loopback, its webhook receiver pointing at IMAS with the key."""
    if BINARY is None:
        pytest.fail("CI=true but prometheus-alertmanager is not installed (see .ci/run)")
    port = free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(imas_port=imas_url.rsplit(":", 1)[1], key=am.key))
    log = (tmp_path / "alertmanager.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        BINARY,
        f"--config.file={config}",
        f"--storage.path={tmp_path / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(100):
                try:
                    if (await http.get(f"{url}/-/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            else:
                pytest.fail("Alertmanager did not become ready")
        if process.returncode is not None:
            pytest.fail(f"Alertmanager exited: {(tmp_path / 'alertmanager.log').read_text()}")
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


async def eventually(check, what: str) -> object:
    """Poll `check` (a coroutine function returning a truthy value when done)."""
    for _ in range(WAIT_SECONDS * 4):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


async def test_alertmanager_groups_into_one_incident_and_its_resolution_mitigates_it(
    alertmanager_url: str, imas_url: str, admin: Actor, am: Hook
) -> None:
    started = utcnow() - timedelta(minutes=1)

    def alert(instance: str, ends_at: str | None = None) -> dict[str, object]:
        body: dict[str, object] = {
            "labels": {
                "alertname": "HighLatency",
                "service": "api-gateway",
                "severity": "critical",
                "instance": instance,
            },
            "annotations": {
                "summary": "High latency on API Gateway",
                "description": f"P99 latency > 500ms on {instance}",
            },
            "startsAt": started.isoformat().replace("+00:00", "Z"),
            "generatorURL": "http://prometheus:9090/graph",
        }
        if ends_at:
            body["endsAt"] = ends_at
        return body

    async with (
        httpx.AsyncClient(base_url=imas_url, headers=admin.headers) as imas,
        httpx.AsyncClient(base_url=alertmanager_url) as manager,
    ):
        posted = await manager.post("/api/v2/alerts", json=[alert("web-1"), alert("web-2")])
        assert posted.status_code == 200, posted.text

        async def two_alerts() -> list[dict[str, object]]:
            rows = (await imas.get("/api/v1/alerts/")).json()["results"]
            return rows if len(rows) == 2 else []

        rows = await eventually(two_alerts, "both alerts in IMAS")
        assert isinstance(rows, list)
        assert {r["labels"]["instance"] for r in rows} == {"web-1", "web-2"}
        assert {r["source"] for r in rows} == {"alertmanager"}
        assert {r["fingerprint"] for r in rows} != {None}
        [incident] = (await imas.get("/api/v1/incidents/")).json()["results"]
        assert incident["title"] == "High latency on API Gateway"
        assert incident["severity"] == "SEV1_CRITICAL"
        assert incident["service"]["name"] == "api-gateway"
        assert {r["incident"]["id"] for r in rows} == {incident["id"]}
        detail = (await imas.get(f"/api/v1/alerts/{rows[0]['id']}/")).json()
        assert detail["raw_payload"]["receiver"] == "imas"
        assert detail["raw_payload"]["alerts"][0]["fingerprint"] == detail["fingerprint"]

        ended = (utcnow() - timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
        posted = await manager.post(
            "/api/v2/alerts", json=[alert("web-1", ended), alert("web-2", ended)]
        )
        assert posted.status_code == 200, posted.text

        async def mitigated() -> dict[str, object] | None:
            found = (await imas.get(f"/api/v1/incidents/{incident['id']}/")).json()
            return found if found["status"] == "MITIGATED" else None

        await eventually(mitigated, "the incident to be mitigated")
        rows = (await imas.get("/api/v1/alerts/")).json()["results"]
        assert len(rows) == 2
        assert {r["status"] for r in rows} == {"resolved"}
        assert len((await imas.get("/api/v1/incidents/")).json()["results"]) == 1
