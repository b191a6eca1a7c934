"""Database rows -> polars columns: timestamps and decimals take the fast paths and keep their
values exactly; what those paths cannot hold falls back without losing the batch."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from imas.pipelines.steps.common import rows_to_frame

PARIS_SUMMER = dt.timezone(dt.timedelta(hours=2))


def test_aware_and_naive_timestamps_keep_their_instant():
    rows = [
        (dt.datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=dt.UTC), dt.datetime(1960, 2, 29, 5)),
        (None, None),
        (dt.datetime(2024, 6, 1, 12, 30, tzinfo=PARIS_SUMMER), dt.datetime(2038, 1, 19, 3, 14, 8)),
    ]

    frame = rows_to_frame(["at", "local"], rows, {})

    assert frame.schema == {"at": pl.Datetime("us", "UTC"), "local": pl.Datetime("us")}
    assert frame["at"].to_list() == [
        dt.datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=dt.UTC),
        None,
        dt.datetime(2024, 6, 1, 10, 30, tzinfo=dt.UTC),
    ]
    assert frame["local"].to_list() == [r[1] for r in rows]


def test_decimals_keep_every_digit_at_the_batchs_largest_scale():
    rows = [(Decimal("1.5"),), (None,), (Decimal("123456.789"),), (Decimal("-0.001"),)]

    frame = rows_to_frame(["amount"], rows, {})

    assert frame.schema["amount"] == pl.Decimal(38, 3)
    assert frame["amount"].to_list() == [
        Decimal("1.500"),
        None,
        Decimal("123456.789"),
        Decimal("-0.001"),
    ]


def test_a_decimal_nan_makes_the_column_floats():
    frame = rows_to_frame(["ratio"], [(Decimal("0.25"),), (Decimal("NaN"),)], {})

    assert frame.schema["ratio"] == pl.Float64
    assert frame["ratio"][0] == 0.25
    assert frame["ratio"].is_nan()[1]
