"""Submitting metrics: seed 002's JSON batch or the Prometheus text exposition format, on the
same path by content type. Every point of a batch is validated before anything is stored: one
bad point rejects the whole batch with seed 002's 400 `INVALID_REQUEST`, naming each bad point by
its index and field. Stored, a batch is one multi-row insert of its new series (race-safe: `ON
CONFLICT DO NOTHING` on the org + series hash, then read back) and one executemany of its points.

Policy on values: a JSON value must be a finite number (a string, a boolean, NaN or an infinity
is refused). In the exposition format NaN samples are common (a summary's empty quantiles) and
are skipped and counted in `skipped_count`; infinities are refused like in JSON.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from imas.config import Settings
from imas.db import org_of
from imas.telemetry import repository
from imas.telemetry.exceptions import BatchTooLarge, InvalidRequest
from imas.telemetry.schemas import MetricBatch, MetricIn, SubmitResult
from imas.telemetry.service import retention


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    value: float
    timestamp: datetime | None
    tags: dict[str, str]
    unit: str = ""
    metric_type: str | None = None


def series_hash(name: str, tags: dict[str, Any]) -> str:
    canonical = json.dumps([name, sorted((str(k), str(v)) for k, v in tags.items())])
    return hashlib.sha256(canonical.encode()).hexdigest()


def default_type(name: str) -> str:
    """`cpu_usage` -> `cpu`: seed 002's `metric_type` filter (cpu, memory, requests...)."""
    return name.split("_", 1)[0].split(":", 1)[0].split(".", 1)[0] or name


_METRICS = TypeAdapter(list[MetricIn])


def _problem(index: int | None, field: str, error: str) -> dict[str, Any]:
    return {"index": index, "field": field, "error": error}


_MESSAGES = {
    "float_type": "must be a number",
    "finite_number": "must be a finite number (not NaN or infinity)",
    "datetime_from_date_parsing": "Invalid datetime format",
    "datetime_parsing": "Invalid datetime format",
    "datetime_type": "Invalid datetime format",
    "missing": "this field is required",
}


def parse_json(body: bytes, limit: int) -> list[Sample]:
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest.field("body", "not valid JSON") from None
    if isinstance(raw, list):  # a bare list of metrics is taken too
        raw = {"metrics": raw}
    try:
        batch = MetricBatch.model_validate(raw)
    except ValidationError:
        raise InvalidRequest.field("metrics", 'expected {"metrics": [...]}') from None
    if len(batch.metrics) > limit:
        raise BatchTooLarge(len(batch.metrics), limit)
    try:  # one validation of the whole list: much faster than one per item
        metrics = _METRICS.validate_python(batch.metrics)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            index, *where = err["loc"]
            field = ".".join(str(p) for p in where) or "item"
            problems.append(_problem(int(index), field, _MESSAGES.get(err["type"], err["msg"])))
        raise InvalidRequest(problems) from None
    return [
        Sample(m.name, float(m.value), m.timestamp, m.tags, m.unit, m.metric_type) for m in metrics
    ]


def parse_exposition(text: str, limit: int) -> tuple[list[Sample], int]:
    """Samples of a Prometheus text exposition (labels become tags), and how many NaN samples
    were skipped."""
    samples: list[Sample] = []
    skipped = 0
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if math.isnan(sample.value):
                    skipped += 1
                    continue
                if math.isinf(sample.value):
                    raise InvalidRequest.field(
                        "value", f"{sample.name}: must be finite", len(samples)
                    )
                at = (
                    datetime.fromtimestamp(float(sample.timestamp), tz=UTC)
                    if sample.timestamp is not None
                    else None
                )
                samples.append(
                    Sample(sample.name, float(sample.value), at, dict(sample.labels), family.unit)
                )
                if len(samples) > limit:
                    raise BatchTooLarge(len(samples), limit)
    except (ValueError, TypeError, IndexError, OverflowError) as exc:
        raise InvalidRequest.field("body", f"not Prometheus text exposition: {exc}") from None
    return samples, skipped


def _check_times(
    samples: list[Sample], now: datetime, future_s: int, retention_days: int
) -> list[datetime]:
    latest = now + timedelta(seconds=future_s)
    oldest = now - timedelta(days=retention_days)
    problems: list[dict[str, Any]] = []
    times: list[datetime] = []
    for index, sample in enumerate(samples):
        at = sample.timestamp or now
        if at > latest:
            problems.append(_problem(index, "timestamp", f"more than {future_s} s in the future"))
        elif at < oldest:
            problems.append(
                _problem(index, "timestamp", f"older than the retention of {retention_days} days")
            )
        times.append(at)
    if problems:
        raise InvalidRequest(problems)
    return times


async def store(
    session: AsyncSession, settings: Settings, samples: list[Sample], now: datetime
) -> tuple[int, int]:
    """Validate the samples' times, then store them; returns (points, series) stored."""
    retention_days = (await retention.settings_for(session, settings, now)).retention_days
    times = _check_times(samples, now, settings.telemetry_max_future_seconds, retention_days)
    hashes = [series_hash(s.name, s.tags) for s in samples]
    known = await repository.series_ids_by_hash(session, hashes)
    org_id = org_of(session)
    new: dict[str, dict[str, Any]] = {}
    for sample, digest in zip(samples, hashes, strict=True):
        if digest not in known and digest not in new:
            new[digest] = {
                "organization_id": org_id,
                "name": sample.name,
                "metric_type": sample.metric_type or default_type(sample.name),
                "unit": sample.unit,
                "tags": sample.tags,
                "series_hash": digest,
                "created_at": now,
            }
    if new:
        # In hash order, as the points below in key order: two batches writing the same rows
        # at once take their locks in the same order (no deadlock on PostgreSQL).
        await repository.insert_series(session, [new[h] for h in sorted(new)])
        known.update(await repository.series_ids_by_hash(session, new))
    points: dict[tuple[int, int], float] = {}
    for sample, digest, at in zip(samples, hashes, times, strict=True):
        points[(known[digest], int(at.timestamp() * 1000))] = sample.value
    await repository.upsert_points(
        session,
        [{"series_id": s, "ts_ms": t, "value": v} for (s, t), v in sorted(points.items())],
    )
    return len(samples), len(set(hashes))


async def submit(
    session: AsyncSession,
    settings: Settings,
    body: bytes,
    *,
    exposition: bool,
    now: datetime,
) -> SubmitResult:
    skipped = 0
    if exposition:
        try:
            text = body.decode()
        except UnicodeDecodeError:
            raise InvalidRequest.field("body", "not UTF-8 text") from None
        samples, skipped = parse_exposition(text, settings.telemetry_max_batch)
    else:
        samples = parse_json(body, settings.telemetry_max_batch)
    if not samples:
        return SubmitResult(accepted_count=0, skipped_count=skipped, series_count=0)
    accepted, series = await store(session, settings, samples, now)
    return SubmitResult(accepted_count=accepted, skipped_count=skipped, series_count=series)
