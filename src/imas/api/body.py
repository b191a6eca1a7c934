"""Bodies that may come as JSON or as an HTML form (`/api/auth/token/`, `/api/auth/login/`)."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from imas.errors import MalformedJson, ValidationFailed

M = TypeVar("M", bound=BaseModel)
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def json_or_form(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting both encodings of `model`."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schema},
                "application/x-www-form-urlencoded": {"schema": schema},
            },
        }
    }


async def parse_json_or_form(request: Request, model: type[M]) -> M:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data: Any
    if content_type in _FORMS:
        form = await request.form()
        data = {key: form.getlist(key) if key == "scopes" else form.get(key) for key in form}
    else:
        raw = await request.body()
        try:
            data = json.loads(raw) if raw else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedJson() from exc
    if not isinstance(data, dict):
        raise ValidationFailed(
            "body: expected a JSON object", details={"body": ["expected an object"]}
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed.from_errors(exc.errors(include_input=False)) from exc
