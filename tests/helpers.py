"""Assertions shared by every test module."""

from __future__ import annotations

from typing import Any

import httpx

ERROR_KEYS = frozenset({"error", "code", "message", "details", "request_id"})


def assert_error(
    response: httpx.Response, status: int, code: str | None = None, error: str | None = None
) -> dict[str, Any]:
    """The one error shape, with the status (and code, and title) a user would check."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert ERROR_KEYS <= set(body) <= ERROR_KEYS | {"retry_after"}
    assert isinstance(body["error"], str)
    assert body["error"]
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["details"], dict)
    assert body["request_id"] == response.headers["X-Request-ID"]
    if code is not None:
        assert body["code"] == code
    if error is not None:
        assert body["error"] == error
    return body
