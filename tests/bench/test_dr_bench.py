"""The DR benchmark at a tiny size: one failover approved and aborted from chat, the whole failover and a drill of
the shipped runbooks (their expected times cut to 3 s, so the drill's simulated changes last 0.05 s), and a
broadcast published and delivered through the Slack and Telegram fakes: each figure is there with a sane value."""

from __future__ import annotations

import re
from pathlib import Path

from bench.dr import Sizes, measure
from bench.figures import Figure
from bench.runner import select
from policies.runbooks import SHIPPED


def _by_name(figures: list[Figure]) -> dict[str, float]:
    return {f.name: f.value for f in figures}


def _quick_runbooks(tmp_path: Path) -> Path:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    for shipped in SHIPPED.glob("*.yaml"):
        quick = re.sub(r"expect_seconds: \d+", "expect_seconds: 3", shipped.read_text(encoding="utf-8"))
        (folder / shipped.name).write_text(quick, encoding="utf-8")
    return folder


def test_the_dr_bench_measures_each_figure(redis_url: str, tmp_path: Path) -> None:
    sizes = Sizes(chat_runs=1, full_step_seconds=0.01, broadcasts=3, delivery_rounds=1,
                  runbooks=_quick_runbooks(tmp_path))  # fmt: skip
    figures = _by_name(measure(tmp_path, redis_url, sizes))
    for name in (
        "approve -> first step running p99 (1 runs)",
        "step done -> checklist edit p99 (3 steps)",  # the post, the scale and the wait before the first human step
        "abort confirmed -> first undo started p99 (1 runs)",
        "broadcast to 10 channels (publish) p99",
        "broadcast delivered to 10 channels, slowest (1 rounds)",
    ):
        assert 0 < figures[name] < 30_000, name
    assert 0 < figures["full simulated failover of web-prod (9 steps), wall"] < 60
    # the run's steps took at most its wall time; a drill's estimate counts each simulated change's 3 s in full
    assert 0 < figures["  its RTO as the run records it (done steps' times)"] <= figures[
        "full simulated failover of web-prod (9 steps), wall"]  # fmt: skip
    assert figures["  its RTO estimate (simulated changes at expect_seconds)"] >= 3 * 3


def test_opsbot_bench_knows_dr() -> None:
    assert select(["dr"]) == ["dr"]
