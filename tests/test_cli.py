"""The `imas` command, run as an operator would, against the test database."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

TOKEN = re.compile(r"\b[0-9a-f]{40}\b")


@pytest.fixture
def imas(database_url, tmp_path):
    env = {
        **os.environ,
        "IMAS_DATABASE_URL": database_url,
        "IMAS_VAR_DIR": str(tmp_path),
        "IMAS_SECRET_KEY": "cli-test-secret",
        "COLUMNS": "200",
    }

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "imas", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if ok:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    return run


async def test_db_upgrade(imas):
    assert "database at heads" in imas("db", "upgrade").stdout


async def test_user_create_then_token_create_gives_a_working_token(imas, client):
    out = imas(
        "user",
        "create",
        "alice",
        "--password",
        "alice-password",
        "--org",
        "acme",
        "--role",
        "responder",
        "--email",
        "alice@example.com",
    ).stdout
    assert "created user alice" in out
    token = TOKEN.search(imas("token", "create", "alice").stdout)
    assert token is not None
    me = await client.get("/api/v1/users/me/", headers={"Authorization": f"Token {token[0]}"})
    assert me.status_code == 200
    assert me.json()["role"] == "responder"
    assert me.json()["organization"]["slug"] == "acme"
    login = await client.post(
        "/api/auth/login/", json={"username": "alice", "password": "alice-password"}
    )
    assert login.status_code == 200


async def test_user_create_twice_in_one_org_fails_clearly(imas):
    imas("user", "create", "bob", "--password", "bob-password", "--org", "acme")
    again = imas("user", "create", "bob", "--password", "bob-password", "--org", "acme", ok=False)
    assert again.returncode == 1
    assert "already a member" in again.stdout


async def test_existing_user_joins_another_org(imas, client):
    imas("user", "create", "carol", "--password", "carol-password", "--org", "one")
    out = imas(
        "user", "create", "carol", "--password", "ignored-pw", "--org", "two", "--role", "viewer"
    ).stdout
    assert "added existing user carol to two" in out
    token = TOKEN.search(imas("token", "create", "carol", "--org", "two").stdout)
    assert token is not None
    me = await client.get("/api/v1/users/me/", headers={"Authorization": f"Token {token[0]}"})
    assert me.json()["organization"]["slug"] == "two"
    assert me.json()["role"] == "viewer"


async def test_token_for_unknown_user_fails_clearly(imas):
    result = imas("token", "create", "nobody", ok=False)
    assert result.returncode == 1
    assert "no user named nobody" in result.stdout


async def test_scoped_token(imas, client):
    imas("user", "create", "dave", "--password", "dave-password", "--org", "acme")
    token = TOKEN.search(imas("token", "create", "dave", "--scope", "incident:read").stdout)
    assert token is not None
    verify = await client.get(
        "/api/auth/token/verify/", headers={"Authorization": f"Token {token[0]}"}
    )
    assert verify.json()["scopes"] == ["incident:read"]


async def test_demo_is_idempotent_and_prints_working_credentials(imas, client):
    first = imas("demo").stdout
    second = imas("demo").stdout
    token = TOKEN.search(first)
    assert token is not None
    assert TOKEN.search(second)[0] == token[0]
    users = await client.get("/api/v1/users/", headers={"Authorization": f"Token {token[0]}"})
    assert sorted(u["username"] for u in users.json()["results"]) == [
        "admin",
        "responder",
        "viewer",
    ]
    incidents = await client.get(
        "/api/v1/incidents/?ordering=created_at", headers={"Authorization": f"Token {token[0]}"}
    )
    statuses = [i["status"] for i in incidents.json()["results"]]
    assert len(statuses) == 5  # loaded once, not twice
    assert {"TRIGGERED", "ACKNOWLEDGED", "MITIGATED", "RESOLVED"} == set(statuses)
    password = re.search(r"Password\s*│\s*(\S+)", first)
    assert password is not None
    login = await client.post(
        "/api/auth/login/", json={"username": "admin", "password": password[1]}
    )
    assert login.status_code == 200
