"""`?format=csv`: stream the rows of a list as CSV, whatever their number."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from fastapi.responses import StreamingResponse


def _line(values: Sequence[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if v is None else v for v in values])
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
