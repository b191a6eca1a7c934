"""Records of a JSON API, page after page, in batches.

Pagination styles (`pagination.type`): `none`; `page` (`?page=1&page_size=100`, until a short
page); `offset` (`?offset=0&limit=100`, until a short page); `cursor` (the next cursor read at
`cursor_path` in each answer, sent as `cursor_param`, until there is none); `link` (the next
URL read at `next_path` in the body, or from the `Link: <...>; rel="next"` header). Query
parameter values are Jinja2 templates (`{"since": "{{ last_run_date }}"}`). A next link to
another origin is refused: the connector's credentials go only to its own base URL.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator

from imas.pipelines.connectors.base import ConnectorFailed
from imas.pipelines.connectors.rest_api import RestApiConnector, dig, records_of
from imas.pipelines.steps.base import Extract, StepConfig, StepContext, StepFailed
from imas.pipelines.steps.common import connector_of, valid_template
from imas.pipelines.templating import TemplateFailed, render_text


class Pagination(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["none", "page", "offset", "cursor", "link"] = "none"
    page_param: str = "page"
    first_page: int = 1
    size_param: str = "page_size"
    """The page size's parameter (`page_size`, `limit`...) for `page`, `offset` and `cursor`."""
    page_size: int = Field(default=100, ge=1, le=10_000)
    offset_param: str = "offset"
    cursor_param: str = "cursor"
    cursor_path: str = "next_cursor"
    next_path: str = "next"
    max_pages: int = Field(default=1000, ge=1)


class RestExtractConfig(StepConfig):
    connector_id: uuid.UUID
    path: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    records_path: str | None = None
    """Dotted path to the records in each answer (the connector's `records_path` when absent)."""
    pagination: Pagination = Field(default_factory=Pagination)
    batch_rows: int | None = Field(default=None, ge=1, le=1_000_000)

    @field_validator("params")
    @classmethod
    def _templates_parse(cls, value: dict[str, Any]) -> dict[str, Any]:
        for item in value.values():
            if isinstance(item, str):
                valid_template(item)
        return value


def to_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    try:
        return pl.from_dicts(records, infer_schema_length=None)
    except pl.exceptions.PolarsError as exc:
        raise StepFailed(f"the records cannot be read as a table: {exc}") from None


class RestExtract(Extract):
    kind: ClassVar[str] = "rest_extract"
    connector_family: ClassVar[Literal["sql", "rest", "s3"] | None] = "rest"
    Config = RestExtractConfig
    config: RestExtractConfig

    def _params(self, ctx: StepContext) -> dict[str, Any]:
        try:
            return {
                name: render_text(value, ctx.variables) if isinstance(value, str) else value
                for name, value in self.config.params.items()
            }
        except TemplateFailed as exc:
            raise StepFailed(f"params template: {exc}") from None

    async def _pages(
        self, connector: RestApiConnector, ctx: StepContext
    ) -> AsyncIterator[list[dict[str, Any]]]:
        paging = self.config.pagination
        where = self.config.records_path
        where = connector.config.records_path if where is None else where
        params = self._params(ctx)
        url: str = self.config.path
        page, offset, cursor = paging.first_page, 0, None
        for _ in range(paging.max_pages):
            query = dict(params)
            if paging.type == "page":
                query |= {paging.page_param: page, paging.size_param: paging.page_size}
            elif paging.type == "offset":
                query |= {paging.offset_param: offset, paging.size_param: paging.page_size}
            elif paging.type == "cursor":
                query[paging.size_param] = paging.page_size
                if cursor is not None:
                    query[paging.cursor_param] = cursor
            response = await connector.get(url, query)
            try:
                body = response.json()
            except ValueError:
                raise StepFailed(f"the answer of GET {response.request.url} is not JSON") from None
            records = records_of(body, where)
            yield records
            if paging.type in ("page", "offset"):
                if len(records) < paging.page_size:
                    return
                page, offset = page + 1, offset + len(records)
            elif paging.type == "cursor":
                cursor = dig(body, paging.cursor_path)
                if cursor in (None, ""):
                    return
            elif paging.type == "link":
                following = dig(body, paging.next_path) if paging.next_path else None
                following = following or response.links.get("next", {}).get("url")
                if not following:
                    return
                if not connector.same_origin(str(following)):
                    raise StepFailed(f"the next page {following} is not on the connector's URL")
                url, params = str(following), {}  # the link carries the query
            else:
                return
        ctx.log("WARNING", "Stopped at max_pages", {"max_pages": paging.max_pages})

    async def batches(self, ctx: StepContext) -> AsyncIterator[pl.DataFrame]:
        connector = connector_of(ctx, RestApiConnector, "rest_extract")
        size = self.config.batch_rows or ctx.batch_rows
        ctx.metrics.setdefault("rows_extracted", 0)
        ctx.log(
            "INFO",
            "Extracting from rest_api",
            {"connector_type": "rest_api", "path": self.config.path},
        )
        pending: list[dict[str, Any]] = []
        try:
            async for records in self._pages(connector, ctx):
                pending.extend(records)
                while len(pending) >= size:
                    frame, pending = to_frame(pending[:size]), pending[size:]
                    ctx.metrics["rows_extracted"] += frame.height
                    yield frame
        except ConnectorFailed as exc:
            raise StepFailed(f"rest_api: {exc}") from None
        if pending:
            frame = to_frame(pending)
            ctx.metrics["rows_extracted"] += frame.height
            yield frame
