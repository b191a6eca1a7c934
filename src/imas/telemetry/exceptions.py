"""The telemetry domain's errors: seed 002's `INVALID_REQUEST` (400) in IMAS's one error shape."""

from __future__ import annotations

from typing import Any

from imas.errors import IMASError


class InvalidRequest(IMASError):
    """`details` is the seed's `{"field", "error"}` (the first problem), plus `errors`: every
    problem as `{"index", "field", "error"}` (`index` is the item's place in the batch)."""

    status_code = 400
    code = "INVALID_REQUEST"
    error = "The request is invalid"

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        first = problems[0]
        where = f"metrics[{first['index']}]." if first.get("index") is not None else ""
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"{where}{first['field']}: {first['error']}{more}",
            details={"field": first["field"], "error": first["error"], "errors": problems},
        )

    @classmethod
    def field(cls, field: str, error: str, index: int | None = None) -> InvalidRequest:
        return cls([{"index": index, "field": field, "error": error}])


class BatchTooLarge(IMASError):
    status_code = 413
    code = "BATCH_TOO_LARGE"
    error = "Batch too large"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"The batch holds {size} points; at most {limit} may be sent at once. "
            "Split it into smaller batches.",
            details={"field": "metrics", "error": f"at most {limit} points", "count": size},
        )


class UnsupportedMediaType(IMASError):
    status_code = 415
    code = "UNSUPPORTED_MEDIA_TYPE"
    error = "Unsupported media type"
