"""A cluster that cannot be read is a clear status, never a 500: a closed port and a server that
never answers are `unreachable` (within the configured timeout), a refused token
`unauthorized`; the last snapshot is kept."""

from __future__ import annotations

import time

from tests.kubernetes.conftest import TOKEN
from tests.kubernetes.helpers import get, refresh, register
from tests.notify.receivers import Silent, free_port


class TestUnreachable:
    async def test_a_closed_port(self, client, admin):
        await register(client, admin, f"http://127.0.0.1:{free_port()}")
        synced = await refresh(client, admin)
        assert synced["status"] == "unreachable"
        assert "cannot reach the API server" in synced["last_error"]
        assert synced["last_synced_at"] is None
        assert synced["last_attempt_at"] is not None
        listed = await get(client, admin, "")
        assert listed["clusters"][0]["status"] == "unreachable"

    async def test_a_server_that_never_answers_times_out(self, client, admin, k8s_settings):
        silent = await Silent().start()
        try:
            await register(client, admin, f"http://127.0.0.1:{silent.port}")
            started = time.monotonic()
            synced = await refresh(client, admin)
            elapsed = time.monotonic() - started
        finally:
            await silent.stop()
        assert synced["status"] == "unreachable"
        assert synced["last_error"] == "the API server did not answer in time"
        assert elapsed < k8s_settings.kubernetes_sync_timeout_seconds + 2

    async def test_the_last_snapshot_is_kept(self, client, admin, k8s):
        await register(client, admin, k8s.url)
        assert (await refresh(client, admin))["status"] == "connected"
        moved = await client.patch(  # as if the API server went away
            "/api/v1/kubernetes/clusters/production-cluster/",
            headers=admin.headers,
            json={"api_server_url": f"http://127.0.0.1:{free_port()}"},
        )
        assert moved.status_code == 200, moved.text
        synced = await refresh(client, admin)
        assert synced["status"] == "unreachable"
        assert (synced["nodes"], synced["pods"]) == (2, 3)
        assert synced["last_synced_at"] is not None
        nodes = await get(client, admin, "production-cluster/nodes/")
        assert nodes["status"] == "unreachable"
        assert len(nodes["nodes"]) == 2
        pods = await get(client, admin, "production-cluster/pods/")
        assert pods["count"] == 3


class TestUnauthorized:
    async def test_a_wrong_token(self, client, admin, k8s):
        await register(client, admin, k8s.url, token="not-the-token")
        synced = await refresh(client, admin)
        assert synced["status"] == "unauthorized"
        assert "HTTP 401" in synced["last_error"]
        assert "not-the-token" not in str(synced)

    async def test_a_new_token_fixes_it(self, client, admin, k8s):
        await register(client, admin, k8s.url, token="not-the-token")
        await refresh(client, admin)
        changed = await client.patch(
            "/api/v1/kubernetes/clusters/production-cluster/",
            headers=admin.headers,
            json={"token": TOKEN},
        )
        assert changed.status_code == 200, changed.text
        assert (await refresh(client, admin))["status"] == "connected"
