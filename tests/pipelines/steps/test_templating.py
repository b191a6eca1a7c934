from __future__ import annotations

import pytest

from imas.pipelines.templating import TemplateFailed, check, readable, render_sql, render_text


def test_quoted_placeholder_becomes_a_bare_bind_parameter() -> None:
    sql, params = render_sql(
        "SELECT * FROM customers WHERE updated_at > '{{ last_run_date }}'",
        {"last_run_date": "2025-01-01T00:00:00+00:00"},
    )
    assert sql == "SELECT * FROM customers WHERE updated_at > :p0"
    assert params == {"p0": "2025-01-01T00:00:00+00:00"}


def test_a_hostile_value_is_never_part_of_the_sql() -> None:
    hostile = "x'; DROP TABLE t; --"
    sql, params = render_sql("SELECT 1 FROM t WHERE name = '{{ who }}'", {"who": hostile})
    assert "DROP" not in sql
    assert list(params.values()) == [hostile]


def test_loops_and_conditions_shape_the_sql_and_values_stay_bound() -> None:
    sql, params = render_sql(
        "SELECT id FROM t WHERE id IN ({% for i in ids %}{{ i }}{% if not loop.last %}, "
        "{% endif %}{% endfor %}){% if region %} AND region = {{ region }}{% endif %}",
        {"ids": [3, 5], "region": "eu"},
    )
    assert sql == "SELECT id FROM t WHERE id IN (:p0, :p1) AND region = :p2"
    assert params == {"p0": 3, "p1": 5, "p2": "eu"}


def test_colons_of_the_sql_text_are_escaped_for_sqlalchemy() -> None:
    sql, _ = render_sql("SELECT '10:30'::time, {{ n }}", {"n": 1})
    assert sql == "SELECT '10\\:30'\\:\\:time, :p0"
    assert readable(sql) == "SELECT '10:30'::time, :p0"


def test_undefined_variable_is_named() -> None:
    with pytest.raises(TemplateFailed, match="'since' is undefined"):
        render_sql("SELECT 1 WHERE x > {{ since }}", {})


def test_sandbox_refuses_internals() -> None:
    with pytest.raises(TemplateFailed, match="unsafe"):
        render_sql("SELECT {{ x.__class__.__mro__ }}", {"x": 1})


def test_syntax_error_is_found_before_running() -> None:
    with pytest.raises(TemplateFailed, match="line 1"):
        check("SELECT {{ x ")
    check("SELECT {{ x }}")


def test_render_text_gives_a_plain_string() -> None:
    assert render_text("{{ last_run_date[:10] }}", {"last_run_date": "2025-02-03T00:00:00Z"}) == (
        "2025-02-03"
    )
