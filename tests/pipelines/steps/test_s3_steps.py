from __future__ import annotations

import io
from collections.abc import Callable

import polars as pl
import pytest
from pydantic import ValidationError

from imas.pipelines.steps.base import StepFailed
from imas.pipelines.steps.s3_extract import S3Extract
from imas.pipelines.steps.s3_load import S3Load
from tests.pipelines.conftest import Ctx, S3Bucket, collect

CONNECTOR = "00000000-0000-0000-0000-000000000001"


def numbers(start: int, stop: int) -> pl.DataFrame:
    return pl.DataFrame({"id": range(start, stop), "label": [f"n{i}" for i in range(start, stop)]})


def parquet(frame: pl.DataFrame) -> bytes:
    out = io.BytesIO()
    frame.write_parquet(out)
    return out.getvalue()


class TestExtract:
    async def test_prefix_reads_every_object_in_key_order_in_batches(
        self, s3: S3Bucket, make_ctx: Callable[..., Ctx]
    ) -> None:
        s3.put("in/b.parquet", parquet(numbers(100, 250)))
        s3.put("in/a.csv", numbers(0, 100).write_csv().encode())
        s3.put("in/c.jsonl", numbers(250, 260).write_ndjson().encode())
        s3.put("in/notes.txt", b"skip me")
        ctx = make_ctx(s3.connector(), batch_rows=64)
        step = S3Extract.create({"connector_id": CONNECTOR, "prefix": "in/"})
        frames = await collect(step.batches(ctx))
        assert max(f.height for f in frames) <= 64
        whole = pl.concat(frames)
        assert whole["id"].to_list() == list(range(260))
        assert ctx.metrics["rows_extracted"] == 260
        assert any(line[2] == {"key": "in/notes.txt"} for line in ctx.lines)

    async def test_one_key_with_an_explicit_format(
        self, s3: S3Bucket, make_ctx: Callable[..., Ctx]
    ) -> None:
        s3.put("exports/data", numbers(0, 5).write_csv().encode())
        step = S3Extract.create({"connector_id": CONNECTOR, "key": "data", "format": "csv"})
        frames = await collect(step.batches(make_ctx(s3.connector(prefix="exports"))))
        assert pl.concat(frames)["label"].to_list() == ["n0", "n1", "n2", "n3", "n4"]

    async def test_missing_object_fails_with_its_key(
        self, s3: S3Bucket, make_ctx: Callable[..., Ctx]
    ) -> None:
        step = S3Extract.create({"connector_id": CONNECTOR, "key": "missing.csv"})
        with pytest.raises(StepFailed, match=r"no object 'missing\.csv'"):
            await collect(step.batches(make_ctx(s3.connector())))

    def test_key_or_prefix(self) -> None:
        with pytest.raises(ValidationError, match="either key or prefix"):
            S3Extract.create({"connector_id": CONNECTOR})
        with pytest.raises(ValidationError, match="give format"):
            S3Extract.create({"connector_id": CONNECTOR, "key": "data.bin"})


class TestLoad:
    async def test_one_object_per_batch_and_a_retry_leaves_no_duplicate(
        self, s3: S3Bucket, make_ctx: Callable[..., Ctx]
    ) -> None:
        step = S3Load.create({"connector_id": CONNECTOR, "prefix": "/out/"})
        ctx = make_ctx(s3.connector())
        await step.open(ctx)
        for batch, frame in enumerate([numbers(0, 10), numbers(10, 20), numbers(20, 25)]):
            await step.write(ctx, frame, batch)
        # the retry of the same run, which this time reads two batches only
        retry = make_ctx(s3.connector(), run_id=ctx.run_id, pipeline_id=ctx.pipeline_id)
        await step.open(retry)
        await step.write(retry, numbers(0, 12), 0)
        await step.write(retry, numbers(12, 25), 1)

        run = f"out/{ctx.pipeline_id}/{ctx.run_id}"
        assert s3.keys("out/") == [f"{run}/part-00000.parquet", f"{run}/part-00001.parquet"]
        rows = pl.concat(pl.read_parquet(io.BytesIO(s3.get(k))) for k in s3.keys("out/"))
        assert rows["id"].to_list() == list(range(25))
        assert retry.metrics == {"rows_loaded": 25, "objects_written": 2}

    @pytest.mark.parametrize(("fmt", "read"), [("csv", pl.read_csv), ("jsonl", pl.read_ndjson)])
    async def test_text_formats(
        self,
        s3: S3Bucket,
        make_ctx: Callable[..., Ctx],
        fmt: str,
        read: Callable[..., pl.DataFrame],
    ) -> None:
        step = S3Load.create({"connector_id": CONNECTOR, "format": fmt})
        ctx = make_ctx(s3.connector(prefix="lake"))
        await step.open(ctx)
        await step.write(ctx, numbers(0, 3), 7)
        key = f"lake/{ctx.pipeline_id}/{ctx.run_id}/part-00007.{fmt}"
        assert read(io.BytesIO(s3.get(key)))["id"].to_list() == [0, 1, 2]

    async def test_missing_bucket_fails(self, s3: S3Bucket, make_ctx: Callable[..., Ctx]) -> None:
        step = S3Load.create({"connector_id": CONNECTOR})
        with pytest.raises(StepFailed, match="bucket 'no-such-bucket' does not exist"):
            await step.open(make_ctx(s3.connector(bucket="no-such-bucket")))
