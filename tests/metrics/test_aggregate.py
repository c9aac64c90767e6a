"""What a metrics reply is made of: a group's combined line, the window's numbers, the members named as standing
out, the sparkline and the trend phrase."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actions.metrics.aggregate import Summary, combine, format_value, outliers, sparkline, summarize, trend
from actions.metrics.model import Series

STEP = 60
values = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


def member(name: str, *points: tuple[float, float]) -> Series:
    return Series(resource_id=f"sim:{name}", resource_name=name, points=points)


def latest(name: str, value: float) -> Series:
    return member(name, (0.0, value / 2), (60.0, value))


@st.composite
def groups(draw: st.DrawFn) -> list[Series]:
    """Members over one window, each with some points missing."""
    size = draw(st.integers(min_value=1, max_value=6))
    times = [i * STEP for i in range(draw(st.integers(min_value=1, max_value=12)))]
    members = []
    for index in range(size):
        kept = draw(st.lists(st.sampled_from(times), unique=True))
        members.append(member(f"m{index}", *((float(t), draw(values)) for t in sorted(kept))))
    return members


@given(groups(), st.sampled_from(["avg", "max", "p95"]))
def test_combined_point_lies_within_the_members_at_that_moment(series: list[Series], how: str) -> None:
    combined = combine(series, how)  # type: ignore[arg-type]  # sampled from the three names
    at_time: dict[float, list[float]] = {}
    for s in series:
        for at, value in s.points:
            at_time.setdefault(at, []).append(value)
    assert [at for at, _ in combined] == sorted(at_time)  # one point per moment any member has, oldest first
    for at, value in combined:
        assert min(at_time[at]) - 1e-6 <= value <= max(at_time[at]) + 1e-6
        if how == "max":
            assert value == max(at_time[at])


def test_a_member_missing_a_point_is_left_out_of_it_not_counted_as_zero() -> None:
    series = [member("a", (0.0, 10.0), (60.0, 20.0)), member("b", (0.0, 30.0))]
    assert combine(series, "avg") == ((0.0, 20.0), (60.0, 20.0))
    assert combine(series, "max") == ((0.0, 30.0), (60.0, 20.0))
    assert combine([], "p95") == ()


def test_p95_of_a_group_leans_to_its_busiest_members() -> None:
    series = [member(f"m{i}", (0.0, float(v))) for i, v in enumerate([10] * 19 + [90])]
    ((_, p95),) = combine(series, "p95")
    assert 10 < p95 <= 90


@given(st.lists(st.tuples(st.integers(0, 10**9), values), min_size=1))
def test_summary_holds_the_window_numbers(raw: list[tuple[int, float]]) -> None:
    points = sorted((float(t), v) for t, v in raw)
    summary = summarize(points)
    assert summary is not None
    assert summary.low <= summary.p95 <= summary.high
    assert summary.low <= summary.now <= summary.high and summary.low <= summary.first <= summary.high
    assert (summary.at, summary.now) == points[-1] and (summary.first_at, summary.first) == points[0]


def test_no_points_no_summary() -> None:
    assert summarize(()) is None


def test_one_hot_member_of_a_group_is_named() -> None:
    group = [latest(f"web-{i}", 40.0 + i % 3) for i in range(10)] + [latest("web-hot", 96.0)]
    assert outliers(group) == [("web-hot", 96.0)]


def test_two_hot_members_are_both_named_highest_first_and_the_limit_holds() -> None:
    group = [latest(f"web-{i}", 40.0) for i in range(8)] + [latest("hot-a", 85.0), latest("hot-b", 92.0)]
    assert outliers(group) == [("hot-b", 92.0), ("hot-a", 85.0)]
    many = [latest(f"web-{i}", 40.0) for i in range(12)] + [latest(f"hot-{i}", 90.0 + i) for i in range(3)]
    assert outliers(many, limit=2) == [("hot-2", 92.0), ("hot-1", 91.0)]


def test_an_even_spread_has_no_outlier() -> None:
    assert outliers([latest(f"web-{i}", 20.0 + 4 * i) for i in range(11)]) == []


def test_a_group_of_one_or_two_has_no_outlier() -> None:
    assert outliers([latest("a", 5.0), latest("b", 99.0)]) == []
    assert outliers([latest("a", 99.0)]) == []


def test_a_member_without_points_is_not_counted() -> None:
    group = [latest("a", 40.0), latest("b", 41.0), member("empty"), latest("hot", 95.0)]
    assert outliers(group) == [("hot", 95.0)]


def test_sparkline_rises_from_lowest_to_highest_bar() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"


def test_sparkline_of_a_flat_line_is_level_and_of_nothing_is_empty() -> None:
    assert sparkline([42.0] * 30) == "▄" * 24
    assert sparkline([]) == ""


@given(st.lists(values, min_size=1, max_size=500), st.integers(min_value=1, max_value=40))
def test_sparkline_is_never_wider_than_asked(data: list[float], width: int) -> None:
    line = sparkline(data, width)
    assert len(line) == min(len(data), width)
    assert set(line) <= set("▁▂▃▄▅▆▇█")


def test_a_long_series_is_averaged_down_keeping_its_shape() -> None:
    line = sparkline([0.0] * 180 + [100.0] * 180, width=24)
    assert line == "▁" * 12 + "█" * 12


def at(hhmm: str) -> float:
    return datetime.fromisoformat(f"2026-12-05T{hhmm}:00+00:00").timestamp()


def window(first: float, now: float, low: float, high: float) -> Summary:
    return Summary(now=now, at=at("08:00"), p95=high, low=low, high=high, first=first, first_at=at("02:00"))


def test_trend_says_where_the_line_went_from_and_when_in_utc() -> None:
    assert trend(window(40.0, 80.0, 40.0, 80.0), "%") == "up from 40% at 02:00"
    assert trend(window(900.0, 120.0, 100.0, 900.0), "ms") == "down from 900 ms at 02:00"
    assert datetime.fromtimestamp(at("02:00"), UTC).hour == 2


def test_a_change_under_a_tenth_of_the_range_is_steady() -> None:
    assert trend(window(40.0, 44.0, 20.0, 80.0), "%") == "steady"  # 4 of a 60-point range
    assert trend(window(40.0, 47.0, 20.0, 80.0), "%") != "steady"
    assert trend(window(40.0, 40.0, 40.0, 40.0), "%") == "steady"


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (42.0, "%", "42%"),
        (42.25, "%", "42.2%"),
        (180.4, "ms", "180 ms"),
        (3.4, "/s", "3.4/s"),
        (0.0042, "/s", "0.0042/s"),
        (1_234_567.0, "B/s", "1.23 MB/s"),
        (999.0, "B/s", "999 B/s"),
    ],
)
def test_values_read_short_on_a_phone(value: float, unit: str, shown: str) -> None:
    assert format_value(value, unit) == shown
