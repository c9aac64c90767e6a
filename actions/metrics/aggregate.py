"""Turning series into what a reply says: a group's combined line, its headline numbers, the members that stand
out, a Unicode sparkline and a one-phrase trend. Pure functions of the points (no clock, no I/O)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from actions.metrics.model import Series

Points = Sequence[tuple[float, float]]
BARS = "▁▂▃▄▅▆▇█"
STEADY_SHARE = 0.1  # a change under this share of the window's range reads as "steady"


def combine(series: Sequence[Series], how: Literal["avg", "max", "p95"]) -> tuple[tuple[float, float], ...]:
    """One point per timestamp across the members: their mean, maximum or 95th percentile. Sources align
    timestamps to the step, so equal timestamps are the same moment; a member without a point there is left out
    of that point (not counted as zero)."""
    by_time: dict[float, list[float]] = defaultdict(list)
    for member in series:
        for at, value in member.points:
            by_time[at].append(value)
    reduce = _REDUCERS[how]
    return tuple((at, reduce(by_time[at])) for at in sorted(by_time))


def _p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


_REDUCERS = {
    "avg": lambda values: float(statistics.fmean(values)),
    "max": lambda values: float(max(values)),
    "p95": _p95,
}


@dataclass(frozen=True)
class Summary:
    now: float  # the latest value
    at: float  # its time, unix seconds
    p95: float
    low: float
    high: float
    first: float  # the window's first value, what a trend compares with
    first_at: float


def summarize(points: Points) -> Summary | None:
    """The headline numbers of one line of points (oldest first); None when there are none."""
    if not points:
        return None
    values = np.fromiter((value for _, value in points), dtype=float, count=len(points))
    return Summary(
        now=float(values[-1]),
        at=float(points[-1][0]),
        p95=float(np.percentile(values, 95)),
        low=float(values.min()),
        high=float(values.max()),
        first=float(values[0]),
        first_at=float(points[0][0]),
    )


def outliers(series: Sequence[Series], *, limit: int = 3) -> list[tuple[str, float]]:
    """Members whose latest value stands well above the rest of the group, highest first: (name, value).

    "Well above" is robust to a group where several members run hot at once: above the median by more than three
    scaled median absolute deviations and by a quarter of the median, and at least the group's 75th percentile (so
    never half the group). A group of one or two has no "rest" to stand out from."""
    latest = [(member.resource_name, member.points[-1][1]) for member in series if member.points]
    if len(latest) < 3:
        return []
    values = np.array([value for _, value in latest])
    median = float(np.median(values))
    spread = 1.4826 * float(np.median(np.abs(values - median)))
    line = median + max(3 * spread, 0.25 * abs(median), 1e-9)
    floor = float(np.percentile(values, 75))
    standing_out = [(name, value) for name, value in latest if value > line and value >= floor]
    return sorted(standing_out, key=lambda item: (-item[1], item[0]))[:limit]


def sparkline(values: Sequence[float], width: int = 24) -> str:
    """Values as "▁▂▃▄▅▆▇█", scaled between their own low and high. More values than `width` are averaged into
    `width` equal buckets; fewer keep one bar each. A flat line is all "▄"; no values, ""."""
    if not values or width <= 0:
        return ""
    data = np.asarray(values, dtype=float)
    if len(data) > width:
        edges = np.linspace(0, len(data), width + 1).astype(int)
        data = np.add.reduceat(data, edges[:-1]) / np.diff(edges)
    low, high = float(data.min()), float(data.max())
    if high - low <= 1e-12 * max(abs(high), 1.0):
        return BARS[3] * len(data)
    levels = np.rint((data - low) / (high - low) * (len(BARS) - 1)).astype(int)
    return "".join(BARS[level] for level in levels)


def trend(summary: Summary, unit: str) -> str:
    """ "up from 40% at 02:00", "down from 1.2 kB/s at 14:30" (UTC) or "steady": the latest value against the
    window's first; a change under a tenth of the window's range is steady."""
    change = summary.now - summary.first
    span = summary.high - summary.low
    if span <= 0 or abs(change) < STEADY_SHARE * span:
        return "steady"
    clock = datetime.fromtimestamp(summary.first_at, UTC).strftime("%H:%M")
    direction = "up" if change > 0 else "down"
    return f"{direction} from {format_value(summary.first, unit)} at {clock}"


def format_value(value: float, unit: str) -> str:
    """A value as a phone shows it: "42%", "180 ms", "3.4/s", "1.2 MB/s" (bytes scaled by 1000s)."""
    if unit == "B/s":
        for prefix in ("", "k", "M", "G"):
            if abs(value) < 1000:
                return f"{_number(value)} {prefix}B/s"
            value /= 1000
        return f"{_number(value)} TB/s"
    if unit == "ms":
        return f"{_number(value)} ms"
    return f"{_number(value)}{unit}"


def _number(value: float) -> str:
    """Three significant figures at most, never "1e+03": 0.042, 3.4, 42, 180, 1234."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}".rstrip("0").rstrip(".")
    if abs(value) >= 0.01 or value == 0:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.2g}"
