from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

from imas.pipelines.connectors.rest_api import RestApiConnector
from imas.pipelines.steps.base import StepFailed
from imas.pipelines.steps.rest_extract import RestExtract
from tests.pipelines.conftest import Ctx, FakeRestApi, collect

CONNECTOR = "00000000-0000-0000-0000-000000000001"


def extract(**config: Any) -> RestExtract:
    return RestExtract.create({"connector_id": CONNECTOR, **config})


async def ids(step: RestExtract, ctx: Ctx) -> list[int]:
    frames = await collect(step.batches(ctx))
    return pl.concat(frames)["id"].to_list()


@pytest.mark.parametrize(
    ("config", "requests"),
    [
        (
            {"path": "/items", "records_path": "results",
             "pagination": {"type": "page", "page_size": 100}},
            3,
        ),
        (
            {"path": "/items", "records_path": "results",
             "pagination": {"type": "offset", "size_param": "limit", "page_size": 50}},
            6,  # five full pages, then an empty one
        ),
        (
            {"path": "/cursor", "records_path": "data.items",
             "pagination": {"type": "cursor", "size_param": "limit", "page_size": 60,
                            "cursor_path": "meta.next_cursor"}},
            5,
        ),
        (
            {"path": "/items?page_size=100", "records_path": "results",
             "pagination": {"type": "link"}},
            3,
        ),
        (
            {"path": "/items?page_size=100", "records_path": "results",
             "pagination": {"type": "link", "next_path": ""}},  # the Link header
            3,
        ),
        ({"path": "/list"}, 1),
    ],
)  # fmt: skip
async def test_every_pagination_reads_every_record_once(
    rest_api: FakeRestApi, make_ctx: Callable[..., Ctx], config: dict[str, Any], requests: int
) -> None:
    ctx = make_ctx(rest_api.connector())
    assert await ids(extract(**config), ctx) == list(range(1, 251))
    assert len(rest_api.requests) == requests
    assert ctx.metrics["rows_extracted"] == 250


async def test_records_are_grouped_into_batches(
    rest_api: FakeRestApi, make_ctx: Callable[..., Ctx]
) -> None:
    step = extract(path="/items", records_path="results", pagination={"type": "page"})
    frames = await collect(step.batches(make_ctx(rest_api.connector(), batch_rows=120)))
    assert [f.height for f in frames] == [120, 120, 10]
    assert frames[0].columns == ["id", "name", "amount", "updated_at"]


async def test_params_are_templates(rest_api: FakeRestApi, make_ctx: Callable[..., Ctx]) -> None:
    step = extract(path="/list", params={"since": "{{ last_run_date }}", "kind": "all"})
    ctx = make_ctx(rest_api.connector(), variables={"last_run_date": "2025-01-05T00:00:00Z"})
    await collect(step.batches(ctx))
    assert rest_api.requests[0]["since"] == "2025-01-05T00:00:00Z"
    assert rest_api.requests[0]["kind"] == "all"


async def test_the_connector_records_path_is_the_default(
    rest_api: FakeRestApi, make_ctx: Callable[..., Ctx]
) -> None:
    conn = rest_api.connector(records_path="results")
    assert len(await ids(extract(path="/items?page_size=7"), make_ctx(conn))) == 7


async def test_wrong_token_fails_the_step(
    rest_api: FakeRestApi, make_ctx: Callable[..., Ctx]
) -> None:
    conn = RestApiConnector.create(rest_api.config(), {"token": "nope"})
    with pytest.raises(StepFailed, match="HTTP 401 Unauthorized"):
        await collect(extract(path="/list").batches(make_ctx(conn)))


async def test_max_pages_stops_the_reading(
    rest_api: FakeRestApi, make_ctx: Callable[..., Ctx]
) -> None:
    step = extract(
        path="/items", records_path="results",
        pagination={"type": "page", "page_size": 10, "max_pages": 3},
    )  # fmt: skip
    ctx = make_ctx(rest_api.connector())
    assert len(await ids(step, ctx)) == 30
    assert ctx.lines[-1][1] == "Stopped at max_pages"


async def test_next_link_to_another_host_is_refused(
    rest_api: FakeRestApi, make_ctx: Callable[..., Ctx]
) -> None:
    rest_api.records = rest_api.records[:5]
    conn = rest_api.connector(base_url=rest_api.base_url.replace("127.0.0.1", "localhost"))
    step = extract(path="/items?page_size=2", records_path="results", pagination={"type": "link"})
    with pytest.raises(StepFailed, match="not on the connector's URL"):
        await collect(step.batches(make_ctx(conn)))
