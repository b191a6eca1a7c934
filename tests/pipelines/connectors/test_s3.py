from __future__ import annotations

import io
import time

import polars as pl
import pytest

from imas.pipelines.connectors.base import ConnectorFailed
from imas.pipelines.connectors.s3 import S3Connector
from tests.pipelines.conftest import S3Bucket


async def failure(conn: S3Connector) -> str:
    with pytest.raises(ConnectorFailed) as caught:
        await conn.test()
    await conn.close()
    return str(caught.value)


class TestConnectionTest:
    async def test_success(self, s3: S3Bucket) -> None:
        assert await s3.connector().test() == "Connection successful"

    async def test_missing_bucket(self, s3: S3Bucket) -> None:
        message = await failure(s3.connector(bucket="no-such-bucket"))
        assert message == "bucket 'no-such-bucket' does not exist"

    async def test_port_where_nothing_listens(self, s3: S3Bucket, closed_port: int) -> None:
        conn = s3.connector(endpoint_url=f"http://127.0.0.1:{closed_port}")
        assert (await failure(conn)).startswith("cannot connect to http://127.0.0.1")

    async def test_server_that_never_answers_times_out(
        self, s3: S3Bucket, silent_port: int
    ) -> None:
        conn = s3.connector(timeout=1, endpoint_url=f"http://127.0.0.1:{silent_port}")
        started = time.monotonic()
        assert await failure(conn) == "timed out after 1 s"
        assert time.monotonic() - started < 3

    async def test_secret_is_never_in_the_message(self, s3: S3Bucket) -> None:
        conn = S3Connector.create(
            {**s3.config, "bucket": "no-such-bucket"},
            {"access_key_id": "AKIAEXAMPLE", "secret_access_key": "hunter2-secret"},
        )
        assert "hunter2" not in await failure(conn)


async def test_schema_reads_csv_parquet_and_jsonl_under_the_prefix(s3: S3Bucket) -> None:
    frame = pl.DataFrame({"id": [1, 2], "name": ["a", "b"], "score": [1.5, None]})
    parquet = io.BytesIO()
    frame.write_parquet(parquet)
    s3.put("exports/a.csv", frame.write_csv().encode())
    s3.put("exports/b.parquet", parquet.getvalue())
    s3.put("exports/c.jsonl", frame.write_ndjson().encode())
    s3.put("exports/readme.txt", b"not a table")
    s3.put("elsewhere/d.csv", b"x\n1\n")

    info = await s3.connector(prefix="exports").schema()

    assert info.tables == ["exports/a.csv", "exports/b.parquet", "exports/c.jsonl"]
    for table in info.tables:
        assert info.columns[table] == ["id", "name", "score"]
        assert info.data_types[table]["id"] == {"type": "int64", "nullable": True}
        assert info.data_types[table]["name"]["type"] == "string"
        assert info.data_types[table]["score"]["type"] == "float64"


async def test_schema_of_a_large_csv_reads_only_a_sample(s3: S3Bucket) -> None:
    frame = pl.DataFrame({"id": range(200_000), "label": ["x" * 10] * 200_000})
    s3.put("big.csv", frame.write_csv().encode())  # ~3 MB, the last line cut by the sample
    info = await s3.connector().schema()
    assert info.columns["big.csv"] == ["id", "label"]
    assert info.data_types["big.csv"]["id"]["type"] == "int64"


async def test_schema_of_a_large_parquet_reads_its_footer(s3: S3Bucket) -> None:
    frame = pl.DataFrame({"id": range(300_000), "at": [None] * 300_000}).with_columns(
        pl.col("at").cast(pl.Datetime("us"))
    )
    data = io.BytesIO()
    frame.write_parquet(data, compression="uncompressed")
    assert len(data.getvalue()) > 64 * 1024
    s3.put("big.parquet", data.getvalue())
    info = await s3.connector().schema()
    assert info.data_types["big.parquet"] == {
        "id": {"type": "int64", "nullable": True},
        "at": {"type": "datetime", "nullable": True},
    }
