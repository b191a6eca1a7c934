"""`?format=csv`: stream the rows of a list as CSV, whatever their number."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from fastapi.responses import StreamingResponse

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (`=HYPERLINK(...)`) is quoted to stay text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell(v) for v in values])
    return buffer.getvalue()


def csv_response(
    rows: AsyncIterator[Any],
    columns: Sequence[tuple[str, Callable[[Any], Any]]],
    filename: str,
) -> StreamingResponse:
    """A streamed `text/csv` download: a header of column titles, then one line per row."""

    async def body() -> AsyncIterator[str]:
        yield _line([title for title, _ in columns])
        async for row in rows:
            yield _line([value(row) for _, value in columns])

    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
