"""The pure pieces of the dashboard: chart geometry and the template filters."""

from __future__ import annotations

import pytest

from imas.analytics.schemas import TrendPoint
from imas.web import charts
from imas.web.pages import duration, label


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1.0), (3, 5.0), (5, 5.0), (7, 10.0), (180, 200.0), (2400, 2500.0)]
)
def test_axes_end_on_a_round_number(value, expected):
    assert charts.nice_max(value) == expected


def test_bars_are_as_tall_as_their_share_of_the_axis():
    chart = charts.severity_bars({"SEV1_CRITICAL": 10, "SEV2_HIGH": 5, "SEV4_LOW": 0})
    tall, half, empty = chart.bars
    assert tall.y + tall.height == pytest.approx(chart.baseline)
    assert half.height == pytest.approx(tall.height / 2)
    assert empty.height == 0
    assert [b.label for b in chart.bars] == ["SEV1", "SEV2", "SEV4"]
    assert chart.ticks[0].value == "0"
    assert chart.ticks[-1].value == "10"


def test_a_trend_skips_weeks_without_an_mttr_but_not_their_incidents():
    points = [
        TrendPoint(date="2026-01-05", incidents=4, mttr_avg=3600),
        TrendPoint(date="2026-01-12", incidents=0, mttr_avg=None),
        TrendPoint(date="2026-01-19", incidents=2, mttr_avg=7200),
    ]
    chart = charts.trend_lines(points)
    assert len(chart.incidents.split()) == 3
    assert len(chart.mttr.split()) == 2
    assert [t.value for t in chart.x_labels] == ["01-05", "01-12", "01-19"]


def test_an_empty_trend_draws_nothing():
    chart = charts.trend_lines([])
    assert chart.incidents == ""
    assert chart.mttr == ""


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0s"),
        (59, "59s"),
        (61, "1m 01s"),
        (3 * 3600 + 300, "3h 05m"),
        (2 * 86400 + 4 * 3600, "2d 4h"),
        (-90, "-1m 30s"),
    ],
)
def test_durations_read_like_an_sre_writes_them(seconds, text):
    assert duration(seconds) == text


def test_labels_of_severities_and_statuses():
    assert label("SEV1_CRITICAL") == "SEV1 Critical"
    assert label("TRIGGERED") == "Triggered"
    assert label("firing") == "Firing"
