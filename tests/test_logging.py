"""Structured logs: JSON lines when asked, one line per request, never a credential."""

from __future__ import annotations

import json

from imas.api.app import create_app
from tests.conftest import client_for


async def test_json_request_log_has_request_id_and_no_secret(make_settings, db, admin, capsys):
    app = create_app(make_settings(log_format="json", log_level="INFO"), db)
    async with client_for(app) as http:
        response = await http.get("/api/v1/users/me/", headers=admin.headers)
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    request_lines = [line for line in lines if line.get("event") == "request"]
    assert request_lines, lines
    entry = request_lines[-1]
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["status"] == 200
    assert entry["path"] == "/api/v1/users/me/"
    assert entry["level"] == "info"
    assert admin.token not in json.dumps(lines)
