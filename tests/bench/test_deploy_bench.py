"""The deploy benchmark at a tiny size: each figure is there with a sane value, the shared rate limiter holds at a
low limit the rollouts actually reach (its admissions counted in any one-second window), and the watcher's every
tick edits every running deploy's progress message."""

from __future__ import annotations

from pathlib import Path

import redis

from bench.deploy import Sizes, chat_measures
from bench.deploy_cloud_figures import at_once_figures, aws_rollback_figures, validation_figures
from bench.deploy_clouds import busiest_second, running_fakes
from bench.figures import Figure
from bench.runner import select


def _by_name(figures: list[Figure]) -> dict[str, float]:
    return {f.name: f.value for f in figures}


def test_the_busiest_second_counts_requests_less_than_a_second_apart() -> None:
    assert busiest_second([]) == 0
    assert busiest_second([0.0, 0.5, 0.99, 1.0, 1.2, 5.0]) == 4  # 0.5, 0.99, 1.0, 1.2: 0.0 is a second before 1.0
    assert busiest_second([3.0, 1.0, 2.0]) == 1


def test_the_clouds_half_validates_starts_under_the_limit_and_rolls_back(tmp_path: Path) -> None:
    with running_fakes() as fakes:
        validation = _by_name(validation_figures(fakes, runs=2))
        figures, handles = at_once_figures(fakes, services=3, size=1, per_second=4.0)
        rollback = _by_name(aws_rollback_figures(fakes, handles, size=1, runs=1))
    p50, p99 = (validation[f"validation, 3 clouds (60-180 ms a request) {q}"] for q in ("p50", "p99"))
    assert 60 <= p50 <= p99  # each check waits at least one simulated round trip
    assert len(handles) == 9 and all(handles.values())  # every group of every service started
    at_once = _by_name(figures)
    assert at_once["3 services x 3 clouds: requests sent"] >= 9 * 2
    admitted = {name: value for name, value in at_once.items() if "busiest second admitted" in name}
    assert len(admitted) == 3  # one endpoint per cloud
    assert max(admitted.values()) == 4  # each cloud asked for more than 4 in a second; never more got through
    assert at_once["  busiest second as sent (threads' skew), any endpoint"] >= 4
    assert rollback["rollback initiation, AWS refresh in flight p99"] > 0


def test_the_chat_half_measures_a_deploy_a_rollback_the_watcher_and_status(
    redis_url: str, redis_conn: redis.Redis, tmp_path: Path
) -> None:
    sizes = Sizes(chat_runs=2, running=5, finished=12, ticks=2, status_runs=3)
    figures = _by_name(chat_measures(tmp_path, redis_url, sizes))
    for name in (
        "confirm -> first group rolling p99 (2 runs)",
        "rollback initiation mid-flight p99 (simulated)",
        "watcher tick, 5 deploys running p99",
        "progress edit latency (5 running) p99",
        '"deploy status", 5 running, 12 finished p99',
    ):
        assert 0 < figures[name] < 30_000, name
    assert "progress edit latency (5 running, 10 edits) p50" in figures  # every deploy edited at every tick
    assert (
        figures["confirm -> first group rolling p50 (2 runs)"] <= figures["confirm -> first group rolling p99 (2 runs)"]
    )


def test_opsbot_bench_knows_deploy() -> None:
    assert select(["deploy"]) == ["deploy"]
