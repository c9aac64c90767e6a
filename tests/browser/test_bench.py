"""`opsbot bench --only dashboard` on a small world and short windows: every figure is there and plausible (the
benchmark's own numbers are not judged here; docs/dashboard.md has them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.dashboard import Sizes, measure
from bench.dashboard_browser import missing


def test_the_dashboard_benchmark_measures_every_figure(redis_url: str, redis_conn: object, tmp_path: Path) -> None:
    reason = missing()
    if reason is not None:
        pytest.skip(f"the browser tests need chromium and playwright: {reason}")
    sizes = Sizes(resources=300, taps=4, scroll_seconds=0.5, changes=3, change_gap=0.15, idle_seconds=0.5,
                  shots=tmp_path / "shots")  # fmt: skip
    figures = {figure.name: figure.value for figure in measure(tmp_path, redis_url, sizes)}
    assert 0 < figures["first contentful paint (Fast 3G, 4x CPU)"] <= figures["board shown (Fast 3G, 4x CPU)"]
    assert figures["time to interactive (board + a tap answered)"] >= figures["board shown (Fast 3G, 4x CPU)"]
    assert 0 < figures["first view transferred, JS + CSS (gzipped)"] < figures["first view transferred, all"]
    assert figures["tap -> visual feedback p99 (4 taps)"] > 0
    assert figures["scroll 300 rows 0.5 s: frames"] > 0
    assert figures["Redis change -> DOM p99 (3 changes)"] > 0
    assert figures["  health rows on the cached board"] > 0
    shots = sorted(path.name for path in (tmp_path / "shots").iterdir())
    assert shots == [
        "overview-1024.png", "overview-320.png", "overview-375-dark.png", "overview-375.png", "overview-768.png",
        "search-375.png",
    ]  # fmt: skip
