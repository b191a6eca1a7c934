"""Rotating the key connector credentials are sealed with: the old key stays readable through
IMAS_PREVIOUS_SECRET_KEYS, and `imas pipelines rotate-credentials` re-seals everything under
the new one, after which the old key is no longer needed."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from imas.api.app import create_app
from tests.conftest import client_for
from tests.pipelines.helpers import add_connector


async def connection_test(app, actor, connector_id):
    async with client_for(app) as client:
        response = await client.post(
            f"/api/v1/connectors/{connector_id}/test/", headers=actor.headers
        )
    assert response.status_code == 200, response.text
    return response.json()


async def test_credentials_survive_a_key_rotation(
    client, admin, db, make_settings, settings, database_url, tmp_path, mariadb
):
    connector_id = await add_connector(client, admin, mariadb)  # sealed under the old key
    new_key = "the-new-secret-key"

    lost = await connection_test(
        create_app(make_settings(secret_key=new_key), db), admin, connector_id
    )
    assert lost["success"] is False
    assert "cannot be decrypted" in lost["message"]
    both = make_settings(secret_key=new_key, previous_secret_keys=[settings.secret_key])
    assert (await connection_test(create_app(both, db), admin, connector_id))["success"] is True

    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "imas", "pipelines", "rotate-credentials"],
        env={
            **os.environ,
            "IMAS_DATABASE_URL": database_url,
            "IMAS_VAR_DIR": str(tmp_path),
            "IMAS_SECRET_KEY": new_key,
            "IMAS_PREVIOUS_SECRET_KEYS": json.dumps([settings.secret_key]),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 connector(s) re-encrypted" in result.stdout
    only_new = create_app(make_settings(secret_key=new_key), db)
    assert (await connection_test(only_new, admin, connector_id))["success"] is True
