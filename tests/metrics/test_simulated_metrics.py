"""The simulated world's own metrics: the same question gets the same answer in any process, CPU ends on each
resource's own samples, some resources run hot, and every metric has plausible values."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from actions.metrics.aggregate import outliers
from actions.metrics.model import Metric, SeriesRequest
from actions.provider import Resource
from actions.simulated.metrics import SimulatedMetrics
from actions.simulated.world import WorldView, base_view
from tests.clock import ManualClock

SEED = 42
NOW = 1_796_000_000.0  # a Monday at 00:53 UTC; any fixed moment will do
SIZE = 2_000


@pytest.fixture(scope="module")
def world() -> WorldView:
    return base_view(SEED, SIZE)


def request(metric: Metric, resources: list[Resource] | tuple[Resource, ...], hours: float, step: int) -> SeriesRequest:
    return SeriesRequest(metric=metric, resources=tuple(resources), start=NOW - hours * 3600, end=NOW, step=step)


def source(now: float = NOW) -> SimulatedMetrics:
    return SimulatedMetrics(SEED, clock=ManualClock(now))


def test_a_group_has_one_series_per_member_on_the_step_up_to_now(world: WorldView) -> None:
    members = world.members_of(world.find("web-prod"))
    series = source().fetch(request(Metric.CPU, members, 6, 60), timeout=3)
    assert [s.resource_name for s in series] == [m.name for m in members]
    for s in series:
        times = [t for t, _ in s.points]
        assert len(times) == 360 and all(t % 60 == 0 for t in times) and times[-1] <= NOW
        assert all(0 <= v <= 100 for _, v in s.points)


def test_the_same_question_gets_the_same_answer_in_another_process(world: WorldView) -> None:
    member = world.members_of(world.find("api-prod"))[0]
    here = source().fetch(request(Metric.LATENCY_P99, [member], 2, 300), timeout=3)[0]
    code = (
        "import json; from actions.simulated.world import base_view; from actions.metrics.model import *;"
        "from actions.simulated.metrics import SimulatedMetrics;"
        f"r = base_view({SEED}, {SIZE}).find({member.name!r});"
        f"q = SeriesRequest(metric=Metric.LATENCY_P99, resources=(r,), start={NOW - 7200}, end={NOW}, step=300);"
        f"print(json.dumps(SimulatedMetrics({SEED}, clock=lambda: {NOW}).fetch(q, 3)[0].points))"
    )
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert [tuple(p) for p in json.loads(there)] == list(here.points)


def test_a_point_does_not_change_with_the_window_it_is_read_in(world: WorldView) -> None:
    member = world.members_of(world.find("worker-prod"))[0]
    day = source().fetch(request(Metric.REQUESTS, [member], 24, 300), timeout=3)[0]
    hour = source().fetch(request(Metric.REQUESTS, [member], 1, 300), timeout=3)[0]
    assert set(hour.points) <= set(day.points)


def test_cpu_ends_on_the_resources_own_samples(world: WorldView) -> None:
    instance = world.members_of(world.find("web-prod"))[3]
    (series,) = source().fetch(request(Metric.CPU, [instance], 3, 300), timeout=3)
    anchor = NOW // 300 * 300
    at_marks = {t: v for t, v in series.points if anchor - 3300 <= t <= anchor}
    assert list(at_marks.values()) == list(instance.cpu)  # the last hour at 5 minutes is the world's samples


def test_the_minutes_after_the_last_sample_stay_near_it(world: WorldView) -> None:
    instance = world.members_of(world.find("web-prod"))[0]
    (series,) = source(NOW).fetch(request(Metric.CPU, [instance], 0.1, 15), timeout=3)
    fresh = [v for t, v in series.points if t > NOW // 300 * 300]
    assert fresh and all(abs(v - instance.cpu[-1]) <= 0.1 * instance.cpu[-1] for v in fresh)


def test_the_future_and_stopped_resources_have_no_data(world: WorldView) -> None:
    running = world.members_of(world.find("web-prod"))[0]
    stopped = next(r for r in world.resources if r.kind == "instance" and r.state == "stopped")
    empty_group = world.find("web-dr")
    ahead = SeriesRequest(metric=Metric.CPU, resources=(running,), start=NOW + 60, end=NOW + 600, step=60)
    assert source().fetch(ahead, timeout=3) == []
    series = source().fetch(request(Metric.CPU, [running, stopped, empty_group], 1, 60), timeout=3)
    assert [s.resource_name for s in series] == [running.name]


def test_disks_are_not_covered(world: WorldView) -> None:
    disk = next(r for r in world.resources if r.kind == "disk")
    assert not source().covers(disk)
    assert source().covers(world.find("web-prod")) and source().covers(world.members_of(world.find("web-prod"))[0])


def test_some_resources_run_hot_and_stand_out_in_their_group(world: WorldView) -> None:
    running = [r for r in world.resources if r.kind == "instance" and r.state != "stopped"]
    series = source().fetch(request(Metric.CPU, running, 1, 300), timeout=3)
    latest = sorted((s.points[-1][1] for s in series), reverse=True)
    assert latest[4] >= 85  # "top 5 by cpu" shows hot instances
    groups = {r.group for r in running if r.group and r.state == "degraded"}
    named = [
        outliers(source().fetch(request(Metric.CPU, world.members_of(world.find(g)), 1, 300), timeout=3))
        for g in sorted(groups)
    ]
    assert any(named)  # a group with a degraded member names it


@pytest.mark.parametrize(
    ("metric", "low", "high"),
    [
        (Metric.MEMORY, 1, 100),
        (Metric.LATENCY_P99, 20, 5000),
        (Metric.LATENCY_P50, 5, 2000),
        (Metric.ERRORS, 0, 50),
        (Metric.REQUESTS, 1, 20_000),
        (Metric.NETWORK_IN, 1e4, 1e9),
        (Metric.NETWORK_OUT, 1e4, 1e9),
    ],
)
def test_every_metric_has_plausible_values(world: WorldView, metric: Metric, low: float, high: float) -> None:
    members = world.members_of(world.find("web-prod"))
    for s in source().fetch(request(metric, members, 24, 900), timeout=3):
        assert all(low <= v <= high for _, v in s.points), (metric, s.resource_name)


def test_the_day_has_a_rhythm_and_weekends_are_busier(world: WorldView) -> None:
    lb = next(r for r in world.resources if r.kind == "load_balancer" and r.state != "stopped")
    week = source().fetch(request(Metric.REQUESTS, [lb], 24 * 7, 3600), timeout=3)[0].points
    by_hour: dict[int, list[float]] = {}
    weekend: list[float] = []
    weekday: list[float] = []
    for t, v in week:
        by_hour.setdefault(int(t % 86400 // 3600), []).append(v)
        (weekend if (int(t // 86400) + 3) % 7 >= 5 else weekday).append(v)
    mean = {h: sum(vs) / len(vs) for h, vs in by_hour.items()}
    assert mean[18] > mean[6] * 1.3  # evening peak over early-morning trough
    assert sum(weekend) / len(weekend) > sum(weekday) / len(weekday)
