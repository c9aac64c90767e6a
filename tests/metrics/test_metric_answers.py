"""Metrics questions answered in chat, end to end: typed on the console, parsed, checked by the policy and answered
from the simulated world's own series. Every number of the one-line answer is recomputed here from the chart's
series, and the chart's lines from the world's series of each member read here directly. The world and the reader
go by one clock the test holds, so the series do not move under the test."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import numpy as np
import pytest

from actions.metrics.aggregate import BARS, format_value
from actions.metrics.model import Metric, SeriesRequest, choose_step
from actions.provider import Resource
from actions.simulated.metrics import SimulatedMetrics
from bot.runtime import Runtime
from core.models import Chart, Reply
from core.settings import Settings
from tests.clock import ManualClock
from tests.conversation.conftest import Say, button, speaker

# A Saturday afternoon (UTC): the world's series and the reader both go by this clock.
NOW = datetime(2026, 12, 5, 14, 7, 30, tzinfo=UTC).timestamp()
Points = tuple[tuple[float, float], ...]
PATIENT = 20.0  # s: the world answers in milliseconds, but a loaded test machine must not turn that into a miss


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def runtime(settings: Settings, clock: ManualClock) -> Iterator[Runtime]:
    world = SimulatedMetrics(settings.sim_seed, clock=clock)
    patient = Settings(**{**settings.model_dump(), "metrics_deadline_seconds": PATIENT})
    rt = Runtime.build(patient, with_worker=False, clock=clock, metric_sources=[world])
    yield rt
    rt.close()


@pytest.fixture
def say(runtime: Runtime) -> Say:
    return speaker(runtime)


def members_of(runtime: Runtime, group: str) -> list[Resource]:
    resources = runtime.conversation.services.provider.snapshot().resources
    [found] = [r for r in resources if r.name == group and r.kind == "group"]
    return [r for r in resources if r.group == group and r.kind == "instance" and r.cloud == found.cloud]


def world_series(settings: Settings, clock: ManualClock, members: list[Resource], points: Points) -> list[Points]:
    """Each member's own series over the chart's range and step, read from the world without opsbot."""
    step = int(points[1][0] - points[0][0])
    # Half a step past the last point: the range's end itself is not always taken (float arange at 1.8e9 s).
    request = SeriesRequest(metric=Metric.CPU, resources=tuple(members), start=points[0][0],
                            end=points[-1][0] + step // 2, step=step)  # fmt: skip
    return [s.points for s in SimulatedMetrics(settings.sim_seed, clock=clock).fetch(request, timeout=5)]


def per_time(series: list[Points], reduce: Callable[[list[float]], float]) -> Points:
    by_time: dict[float, list[float]] = {}
    for points in series:
        for at, value in points:
            by_time.setdefault(at, []).append(value)
    return tuple((at, reduce(values)) for at, values in sorted(by_time.items()))


def charted(answer: Reply) -> Chart:
    assert answer.chart is not None, answer.text
    return answer.chart


def test_the_first_line_says_the_numbers_of_the_charted_series(
    say: Say, runtime: Runtime, settings: Settings, clock: ManualClock
) -> None:
    [answer] = say("cpu of web-prod last 6h")
    chart = charted(answer)
    assert (chart.title, chart.unit, chart.threshold) == ("web-prod CPU, last 6 h", "%", 80.0)
    avg, peak = chart.series[0], chart.series[1]
    assert (avg.label, peak.label) == ("web-prod avg", "web-prod max")
    # The lines are the members' own series combined: their mean and their maximum at each moment.
    members = [m for m in members_of(runtime, "web-prod") if m.state != "stopped"]
    own = world_series(settings, clock, members, avg.points)
    assert np.allclose(avg.points, per_time(own, statistics.fmean))
    assert np.allclose(peak.points, per_time(own, max))
    assert avg.points[0][0] >= NOW - 6 * 3600 - 60 and avg.points[-1][0] <= NOW
    # The head line: the latest value, the window's p95, the trend from its first value, the alert line.
    values = [v for _, v in avg.points]
    head, spark, *rest = answer.text.splitlines()
    latest, p95 = format_value(values[-1], "%"), format_value(float(np.percentile(values, 95)), "%")
    assert head.startswith(f"web-prod CPU {latest} now (avg of {len(members)}; p95 {p95} over 6 h), ")
    first_clock = datetime.fromtimestamp(avg.points[0][0], UTC).strftime("%H:%M")
    direction = "up" if values[-1] > values[0] else "down"
    assert f"{direction} from {format_value(values[0], '%')} at {first_clock}" in head or "steady" in head
    assert head.endswith("; alert at 80%")
    shape, span = spark.split(" ")
    assert set(shape) <= set(BARS) and len(shape) == 24
    assert span == f"{format_value(min(values), '%')}..{format_value(max(values), '%')}"
    assert rest[-1].startswith("From simulated, latest point ")


def test_a_group_names_the_member_that_stands_out(say: Say, runtime: Runtime) -> None:
    # rsvp-prod (AWS, seed 42): one of its 8 instances is degraded and runs near 100% while the rest idle at ~30%.
    [answer] = say("cpu of rsvp-prod last 2h")
    hot = [m.name for m in members_of(runtime, "rsvp-prod") if m.state == "degraded"]
    peak = charted(answer).series[1]
    assert len(hot) == 1
    assert f"Stands out: {hot[0]} at {format_value(peak.points[-1][1], '%')}" in answer.text.splitlines()
    assert "(avg of 8; " in answer.text.splitlines()[0]


def test_top_5_instances_ranked_by_their_latest_value(say: Say, runtime: Runtime, settings: Settings) -> None:
    [answer] = say("top 5 instances by cpu in prod")
    lines = answer.text.splitlines()
    running = [r for r in runtime.conversation.services.provider.snapshot().resources
               if r.kind == "instance" and r.environment == "prod" and r.state != "stopped"]  # fmt: skip
    assert lines[0] == f"Top 5 instances by CPU in prod now (of {len(running):,}):"
    ranked = [re.fullmatch(r"(\d)\. (\S+)(?: \((\S+)\))? ([\d.]+)%", line) for line in lines[1:6]]
    assert all(ranked), lines
    by_name = {r.name: r for r in running}
    values = [float(m.group(4)) for m in ranked if m]
    assert values == sorted(values, reverse=True)
    # Each value is the instance's latest, and none of the rest is higher than the fifth.
    world = SimulatedMetrics(settings.sim_seed, clock=lambda: NOW)
    request = SeriesRequest(metric=Metric.CPU, resources=tuple(running), start=NOW - 300, end=NOW, step=15)
    latest = {s.resource_name: s.points[-1][1] for s in world.fetch(request, timeout=5)}
    for match in ranked:
        assert match and match.group(2) in by_name
        assert format_value(latest[match.group(2)], "%") == f"{match.group(4)}%"
    assert max(sorted(latest.values())[:-5]) <= values[-1]
    assert answer.chart is None


def test_compared_with_last_week_on_the_same_chart(say: Say) -> None:
    [answer] = say("cpu of web-prod today vs last week")
    chart = charted(answer)
    today, earlier = chart.series[0], chart.series[2]
    assert chart.title == "web-prod CPU, today" and earlier.label == "last week"
    midnight = NOW // 86_400 * 86_400
    assert all(midnight <= at <= NOW for at, _ in (*today.points, *earlier.points))  # drawn over today's range
    mean_now = statistics.fmean(v for _, v in today.points)
    mean_then = statistics.fmean(v for _, v in earlier.points)
    assert f"({(mean_now - mean_then) / mean_then * 100:+.0f}% vs last week)" in answer.text.splitlines()[0]


def test_since_a_time_of_day_is_utc(say: Say) -> None:
    [answer] = say("cpu of web-prod since 03:00")
    chart = charted(answer)
    start = datetime(2026, 12, 5, 3, 0, tzinfo=UTC).timestamp()
    assert chart.title == "web-prod CPU, since 03:00 UTC"
    assert chart.series[0].points[0][0] == start
    assert chart.series[0].points[1][0] - start == choose_step(start, NOW)
    assert "since 03:00 UTC)" in answer.text.splitlines()[0]


def test_a_viewer_is_answered_and_a_stranger_is_not(say: Say) -> None:
    [viewer] = say("memory of db-prod last 2h", user="dave")
    assert viewer.text.startswith("db-prod memory ") and charted(viewer).unit == "%"
    [stranger] = say("memory of db-prod last 2h", user="mallory")
    assert stranger.chart is None and "not on opsbot's list" in stranger.text
    assert "%" not in stranger.text


def test_an_unknown_name_asks_did_you_mean_and_the_pick_answers(say: Say) -> None:
    [question] = say("cpu of web-prd")
    assert question.text.startswith("Did you mean web-prod") and question.chart is None
    [answer] = say(press=button([question], "web-prod"))
    assert charted(answer).title == "web-prod CPU, last 1 h"


def test_no_data_is_one_plain_line_saying_why(say: Say, runtime: Runtime) -> None:
    stopped = next(r for r in runtime.conversation.services.provider.snapshot().resources
                   if r.kind == "instance" and r.state == "stopped" and r.group is None)  # fmt: skip
    [answer] = say(f"cpu of {stopped.name}")
    assert answer.chart is None
    assert answer.text == f"No CPU data for {stopped.name} over 1 h: it is stopped."


def test_a_source_that_does_not_answer_is_named_and_the_next_one_answers(settings: Settings) -> None:
    # Prometheus is asked first and refuses the connection (nothing listens there): the simulated world answers.
    down = Settings(
        **{**settings.model_dump(), "prometheus_url": "http://127.0.0.1:9/", "metrics_deadline_seconds": PATIENT}
    )
    rt = Runtime.build(down, with_worker=False)
    try:
        [answer] = speaker(rt)("cpu of web-prod")
    finally:
        rt.close()
    lines = answer.text.splitlines()
    assert any(line.startswith("From simulated, latest point ") for line in lines)
    [problem] = [line for line in lines if line.startswith("Prometheus")]
    assert problem.endswith(" - showing simulated only")
    assert charted(answer).series[0].points
