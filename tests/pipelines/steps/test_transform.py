from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from pydantic import ValidationError

from imas.pipelines.steps import registry
from imas.pipelines.steps.base import StepFailed
from imas.pipelines.steps.transform import TransformStep


def transform(*operations: dict[str, Any]) -> TransformStep:
    return TransformStep.create({"transformations": list(operations)})


FRAME = pl.DataFrame(
    {
        "customer_id": [1, 2, 2, 3],
        "customer_name": [" Ada ", "bob", "bob", None],
        "amount": ["10.5", "3", "3", "x"],
        "paid": ["yes", "no", "no", None],
        "at": ["2025-01-01T10:00:00", "2025-01-02T10:00:00", "2025-01-02T10:00:00", None],
    }
)


def test_registered_as_transform() -> None:
    assert registry.find("transform") is TransformStep


class TestOperations:
    def test_rename_columns_as_in_the_seed(self) -> None:
        step = transform(
            {"type": "rename_columns", "mapping": {"customer_id": "id", "customer_name": "name"}}
        )
        out = step.apply(FRAME)
        assert out.columns == ["id", "name", "amount", "paid", "at"]
        assert out["id"].to_list() == [1, 2, 2, 3]

    def test_select_and_drop(self) -> None:
        assert transform({"type": "select", "columns": ["amount", "customer_id"]}).apply(
            FRAME
        ).columns == ["amount", "customer_id"]
        assert transform({"type": "drop", "columns": ["paid", "at"]}).apply(FRAME).columns == [
            "customer_id", "customer_name", "amount"
        ]  # fmt: skip

    def test_cast(self) -> None:
        out = transform(
            {"type": "cast", "columns": {"paid": "bool", "at": "datetime", "customer_id": "string"}}
        ).apply(FRAME)
        assert out["paid"].to_list() == [True, False, False, None]
        assert out["at"][0] == dt.datetime(2025, 1, 1, 10)
        assert out["customer_id"].to_list() == ["1", "2", "2", "3"]

    def test_strict_cast_of_a_bad_value_fails_and_lenient_gives_null(self) -> None:
        with pytest.raises(StepFailed, match=r"transform 1 \(cast\)"):
            transform({"type": "cast", "columns": {"amount": "float"}}).apply(FRAME)
        lenient = transform({"type": "cast", "columns": {"amount": "float"}, "strict": False})
        assert lenient.apply(FRAME)["amount"].to_list() == [10.5, 3.0, 3.0, None]

    @pytest.mark.parametrize(
        ("op", "value", "ids"),
        [
            ("eq", 2, [2, 2]),
            ("ne", 2, [1, 3]),
            ("gt", 1, [2, 2, 3]),
            ("gte", 2, [2, 2, 3]),
            ("lt", 2, [1]),
            ("lte", 2, [1, 2, 2]),
            ("in", [1, 3], [1, 3]),
            ("not_in", [1, 3], [2, 2]),
        ],
    )
    def test_filter_comparisons(self, op: str, value: Any, ids: list[int]) -> None:
        step = transform({"type": "filter", "column": "customer_id", "op": op, "value": value})
        assert step.apply(FRAME)["customer_id"].to_list() == ids

    def test_filter_nulls_text_and_dates(self) -> None:
        nulls = transform({"type": "filter", "column": "customer_name", "op": "is_null"})
        assert nulls.apply(FRAME)["customer_id"].to_list() == [3]
        names = transform(
            {"type": "filter", "column": "customer_name", "op": "contains", "value": "Ad"}
        )
        assert names.apply(FRAME)["customer_id"].to_list() == [1]
        recent = transform(
            {"type": "cast", "columns": {"at": "datetime"}},
            {"type": "filter", "column": "at", "op": "gt", "value": "2025-01-01T12:00:00Z"},
        )
        assert recent.apply(FRAME)["customer_id"].to_list() == [2, 2]

    def test_dedupe_fill_null_and_add_column(self) -> None:
        out = transform(
            {"type": "dedupe"},
            {"type": "fill_null", "columns": {"customer_name": "unknown"}},
            {
                "type": "add_column",
                "name": "name_upper",
                "from_column": "customer_name",
                "op": "upper",
            },
            {"type": "add_column", "name": "source", "value": "crm"},
            {"type": "add_column", "name": "clean", "from_column": "customer_name", "op": "strip"},
        ).apply(FRAME)
        assert out["customer_id"].to_list() == [1, 2, 3]
        assert out["name_upper"].to_list() == [" ADA ", "BOB", "UNKNOWN"]
        assert out["source"].to_list() == ["crm"] * 3
        assert out["clean"].to_list() == ["Ada", "bob", "unknown"]

    def test_dedupe_on_a_subset_keeps_the_last(self) -> None:
        frame = pl.DataFrame({"id": [1, 1, 2], "v": ["a", "b", "c"]})
        out = transform({"type": "dedupe", "subset": ["id"], "keep": "last"}).apply(frame)
        assert out.rows() == [(1, "b"), (2, "c")]


class TestColumnChecks:
    def test_output_columns_follow_the_operations(self) -> None:
        step = transform(
            {"type": "rename_columns", "mapping": {"customer_id": "id"}},
            {"type": "drop", "columns": ["paid"]},
            {"type": "add_column", "name": "source", "value": "crm"},
        )
        assert step.output_columns(FRAME.columns) == [
            "id",
            "customer_name",
            "amount",
            "at",
            "source",
        ]

    def test_unknown_column_names_the_step_and_the_real_columns(self) -> None:
        step = transform(
            {"type": "rename_columns", "mapping": {"customer_id": "id"}},
            {"type": "select", "columns": ["customer_id"]},
        )
        with pytest.raises(StepFailed) as caught:
            step.output_columns(["customer_id", "name"])
        assert str(caught.value) == (
            "transform 2 (select): unknown column 'customer_id'; the columns are id, name"
        )
        with pytest.raises(StepFailed, match=r"transform 2 \(select\): unknown column"):
            step.apply(pl.DataFrame({"customer_id": [1], "name": ["a"]}))

    def test_rename_onto_an_existing_column_is_refused(self) -> None:
        step = transform({"type": "rename_columns", "mapping": {"a": "b"}})
        with pytest.raises(StepFailed, match="two columns would be named 'b'"):
            step.output_columns(["a", "b"])


class TestConfig:
    def test_unknown_operation_type_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            transform({"type": "eval", "code": "1 + 1"})

    def test_in_needs_a_list(self) -> None:
        with pytest.raises(ValidationError, match="needs a list"):
            transform({"type": "filter", "column": "a", "op": "in", "value": 3})


def test_every_step_type_is_registered() -> None:
    expected = {"sql_extract", "rest_extract", "s3_extract", "transform", "sql_load", "s3_load"}
    assert expected <= set(registry.kinds())
