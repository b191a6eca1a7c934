"""A validated http(s) base URL, shared by the integrations' configuration schemas."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise PydanticCustomError("url", "must be an http(s) URL, e.g. https://example.com/")
    return value


HttpUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(_http_url)
]
