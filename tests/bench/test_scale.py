"""The scale benchmark's failover gap is the silence the fault made: the longest pause between two deliveries
that ends after the fault, not a pause before it (a slow start) nor the steady spacing."""

from __future__ import annotations

from bench.runner import select
from bench.scale import quiet_after


def test_the_gap_is_the_pause_that_ends_after_the_fault() -> None:
    steady = [n / 100 for n in range(300)]  # a delivery every 10 ms up to 2.99 s
    resumed = [8.0 + n / 100 for n in range(100)]  # the fault at 3.0 s, deliveries again from 8.0 s
    assert round(quiet_after(steady + resumed, 3.0), 2) == 5.01


def test_a_pause_before_the_fault_is_not_its_gap() -> None:
    arrivals = [0.0, 2.0, 2.01, 2.02, 3.05, 3.06]  # 2 s of warming up, then 30 ms after the fault at 3.0 s
    assert round(quiet_after(arrivals, 3.0), 2) == 1.03
    assert quiet_after([], 3.0) == 0.0


def test_opsbot_bench_knows_scale() -> None:
    assert select(["scale"]) == ["scale"]
