"""Geometry for the analytics page's inline SVG charts (the templates only draw it)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from imas.analytics.schemas import TrendPoint

SEVERITY_COLOURS = {
    "SEV1_CRITICAL": "#b42318",
    "SEV2_HIGH": "#c4320a",
    "SEV3_MEDIUM": "#8a6100",
    "SEV4_LOW": "#175cd3",
}


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    colour: str


@dataclass(frozen=True)
class Tick:
    value: str
    position: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    ticks: list[Tick]


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    incidents: str  # polyline points
    mttr: str
    dots: list[tuple[float, float, int]]
    x_labels: list[Tick]
    y_ticks: list[Tick]
    mttr_ticks: list[Tick]


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^n at least `value` (axes end on a round number)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _fmt(value: float) -> str:
    return f"{value:g}" if value < 10_000 else f"{value / 1000:g}k"


def severity_bars(counts: dict[str, int], width: int = 420, height: int = 220) -> BarChart:
    top, bottom, left = 12.0, height - 28.0, 44.0
    peak = nice_max(max([5, *counts.values()]))  # counts: whole numbers on the axis
    slot = (width - left - 8) / max(1, len(counts))
    bars = []
    for i, (name, value) in enumerate(counts.items()):
        h = (bottom - top) * value / peak
        bars.append(
            Bar(
                label=name.replace("_", " ").split(" ")[0],
                value=value,
                x=left + i * slot + slot * 0.2,
                y=bottom - h,
                width=slot * 0.6,
                height=h,
                colour=SEVERITY_COLOURS.get(name, "#475467"),
            )
        )
    ticks = [Tick(_fmt(peak * k / 5), bottom - (bottom - top) * k / 5) for k in range(6)]
    return BarChart(width=width, height=height, baseline=bottom, bars=bars, ticks=ticks)


def trend_lines(points: list[TrendPoint], width: int = 760, height: int = 260) -> LineChart:
    left, right, top, bottom = 48.0, width - 56.0, 14.0, height - 30.0
    peak = nice_max(max([5, *(p.incidents for p in points)]))
    hours = [p.mttr_avg / 3600 for p in points if p.mttr_avg is not None]
    mttr_peak = nice_max(max(hours, default=0))
    step = (right - left) / max(1, len(points) - 1)

    def x(i: int) -> float:
        return left + i * step if len(points) > 1 else (left + right) / 2

    def y(value: float, scale: float) -> float:
        return bottom - (bottom - top) * value / scale

    incidents = " ".join(f"{x(i):.1f},{y(p.incidents, peak):.1f}" for i, p in enumerate(points))
    mttr = " ".join(
        f"{x(i):.1f},{y(p.mttr_avg / 3600, mttr_peak):.1f}"
        for i, p in enumerate(points)
        if p.mttr_avg is not None
    )
    every = max(1, math.ceil(len(points) / 8))
    return LineChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        incidents=incidents,
        mttr=mttr,
        dots=[(x(i), y(p.incidents, peak), p.incidents) for i, p in enumerate(points)],
        x_labels=[Tick(p.date[5:], x(i)) for i, p in enumerate(points) if i % every == 0],
        y_ticks=[Tick(_fmt(peak * k / 5), y(peak * k / 5, peak)) for k in range(6)],
        mttr_ticks=[
            Tick(_fmt(mttr_peak * k / 5) + "h", y(mttr_peak * k / 5, mttr_peak)) for k in range(6)
        ],
    )
