"""Amazon S3 and what speaks its API (MinIO...), through boto3 run in worker threads. The
`s3_extract` and `s3_load` steps use `list_keys`, `download`, `put` and `delete_prefix`; every
key they give is relative to the connector's `prefix`."""

from __future__ import annotations

import asyncio
import io
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import boto3  # type: ignore[import-untyped]
import polars as pl
from botocore.config import Config as BotoConfig  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from pydantic import Field, field_validator

from imas.pipelines.connectors.base import (
    Connector,
    ConnectorConfig,
    ConnectorCredentials,
    ConnectorFailed,
    SchemaInfo,
)
from imas.pipelines.connectors.errors import timed_out
from imas.pipelines.connectors.frames import add_frame

T = TypeVar("T")
FORMATS = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}
"""File extensions read as tables, and their format."""
SAMPLE_BYTES = 64 * 1024
SCHEMA_OBJECTS = 20


class S3Config(ConnectorConfig):
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = ""
    region: str = "us-east-1"
    endpoint_url: str | None = None
    """For MinIO and other S3-compatible stores (`http://minio:9000`)."""

    @field_validator("prefix")
    @classmethod
    def _no_slashes_around(cls, value: str) -> str:
        return value.strip("/")


class S3Credentials(ConnectorCredentials):
    access_key_id: str = Field(min_length=1)
    secret_access_key: str = Field(min_length=1)
    session_token: str | None = None


def format_of(key: str) -> str | None:
    """`csv`, `parquet` or `jsonl` from the key's extension, None for any other file."""
    suffix = Path(key).suffix.lower()
    return FORMATS.get(suffix)


class S3Connector(Connector):
    kind: ClassVar[str] = "s3"
    family: ClassVar[Literal["sql", "rest", "s3"]] = "s3"
    Config = S3Config
    Credentials = S3Credentials

    config: S3Config
    credentials: S3Credentials
    _client: Any = None

    def client(self) -> Any:
        """The boto3 S3 client (thread-safe; its calls block: run them with `call`)."""
        if self._client is None:
            boto_config = BotoConfig(
                connect_timeout=self.timeout,
                read_timeout=self.timeout,
                retries={"max_attempts": 1, "mode": "standard"},
                s3={"addressing_style": "path"} if self.config.endpoint_url else {},
            )
            self._client = boto3.session.Session().client(
                "s3",
                region_name=self.config.region,
                endpoint_url=self.config.endpoint_url,
                aws_access_key_id=self.credentials.access_key_id,
                aws_secret_access_key=self.credentials.secret_access_key,
                aws_session_token=self.credentials.session_token,
                config=boto_config,
            )
        return self._client

    def key(self, *parts: str) -> str:
        """The object key of `parts` under the connector's prefix."""
        return "/".join(p.strip("/") for p in (self.config.prefix, *parts) if p.strip("/"))

    def reason(self, exc: BaseException, key: str | None = None) -> str:
        bucket = self.config.bucket
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            message = str(error.get("Message", "")).strip()
            if code in ("404", "NoSuchBucket") and key is None:
                return f"bucket {bucket!r} does not exist"
            if code in ("404", "NoSuchKey"):
                return f"no object {key!r} in bucket {bucket!r}"
            if code in ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
                detail = f"{code}: {message}" if message else code
                return f"access denied to bucket {bucket!r} ({detail})"
            return f"{code}: {message}" if message else code or str(exc)
        if isinstance(exc, ConnectTimeoutError | ReadTimeoutError | TimeoutError):
            return timed_out(self.timeout)
        if isinstance(exc, EndpointConnectionError):
            return f"cannot connect to {exc.kwargs.get('endpoint_url', 'the endpoint')}"
        return str(exc) or type(exc).__name__

    async def call(self, fn: Callable[..., T], *args: Any, key: str | None = None, **kw: Any) -> T:
        """`fn(*args, **kw)` (a blocking boto3 call) in a worker thread; its failure as
        `ConnectorFailed` with the reason."""
        try:
            return await asyncio.to_thread(fn, *args, **kw)
        except (BotoCoreError, ClientError, OSError) as exc:
            raise ConnectorFailed(self.reason(exc, key)) from None

    async def test(self) -> str:
        try:
            async with asyncio.timeout(self.timeout):
                await self.call(self.client().head_bucket, Bucket=self.config.bucket)
        except TimeoutError:
            raise ConnectorFailed(timed_out(self.timeout)) from None
        return "Connection successful"

    async def list_keys(self, prefix: str = "", *, limit: int | None = None) -> list[str]:
        """Keys under the connector's prefix + `prefix` (absolute keys, in key order)."""
        return await self.call(self._list, self.key(prefix), limit)

    def _list(self, prefix: str, limit: int | None) -> list[str]:
        keys: list[str] = []
        pages = self.client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.config.bucket, Prefix=prefix):
            keys.extend(o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/"))
            if limit is not None and len(keys) >= limit:
                return sorted(keys)[:limit]
        return sorted(keys)

    async def download(self, key: str, target: Path) -> None:
        """The object at absolute `key` written to `target`, streamed."""
        await self.call(self._download, key, target, key=key)

    def _download(self, key: str, target: Path) -> None:
        body = self.client().get_object(Bucket=self.config.bucket, Key=key)["Body"]
        with target.open("wb") as out:
            for chunk in body.iter_chunks(1024 * 1024):
                out.write(chunk)

    async def put(self, key: str, data: bytes) -> None:
        await self.call(
            self.client().put_object, Bucket=self.config.bucket, Key=key, Body=data, key=key
        )

    async def delete_prefix(self, prefix: str) -> int:
        """Delete every object under absolute `prefix`; how many."""
        keys = await self.call(self._list, prefix, None)
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": k} for k in keys[start : start + 1000]]
            await self.call(
                self.client().delete_objects,
                Bucket=self.config.bucket,
                Delete={"Objects": chunk, "Quiet": True},
            )
        return len(keys)

    async def schema(self) -> SchemaInfo:
        """One table per CSV, Parquet or JSON-lines object under the prefix (at most 20), its
        columns read from a sample (the first 64 KiB; a Parquet file's footer)."""
        keys = [k for k in await self.list_keys() if format_of(k)][:SCHEMA_OBJECTS]
        info = SchemaInfo()
        for key in keys:
            sample = await self.call(self._sample, key, key=key)
            add_frame(info, key, sample)
        return info

    def _sample(self, key: str) -> pl.DataFrame:
        client, bucket = self.client(), self.config.bucket
        size = int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])
        fmt = format_of(key)
        try:
            if fmt == "parquet":
                return _parquet_columns(client, bucket, key, size)
            data = _get_range(client, bucket, key, 0, min(size, SAMPLE_BYTES) - 1)
            if size > SAMPLE_BYTES:  # the last line is cut
                data = data[: data.rfind(b"\n") + 1]
            if fmt == "csv":
                return pl.read_csv(io.BytesIO(data), infer_schema_length=None)
            return pl.read_ndjson(io.BytesIO(data), infer_schema_length=None)
        except pl.exceptions.PolarsError:
            return pl.DataFrame()


def _get_range(client: Any, bucket: str, key: str, first: int, last: int) -> bytes:
    if last < first:
        return b""
    answer = client.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")
    data: bytes = answer["Body"].read()
    return data


def _parquet_columns(client: Any, bucket: str, key: str, size: int) -> pl.DataFrame:
    """An empty frame with the file's schema, from its footer alone (the last 8 bytes give the
    footer's length; the footer holds the schema)."""
    tail = _get_range(client, bucket, key, max(0, size - 8), size - 1)
    (footer_length,) = struct.unpack("<I", tail[:4])
    footer = _get_range(client, bucket, key, max(0, size - 8 - footer_length), size - 1)
    schema = pl.read_parquet_schema(b"PAR1" + footer)
    return pl.DataFrame(schema=schema)
