"""`opsbot bench --only dr`: the speed goals of disaster recovery from chat (issue 15), in the simulated world (with
its DNS) through a whole opsbot on the real Redis (bench.dr_chat):

- approve -> the failover's first step running; a step's done -> its checklist edit in the outbox; an abort's
  confirmation -> the first undo under way (the runbook watcher is woken by the start and the abort, and polls
  every `runbook_poll_seconds` = 0.05 s otherwise; the world's actions take 0.02 s a step). The watcher edits the
  checklist once per look, after the steps that finish in it: the opening post's edit waits for the scale that
  follows it in the same look (its p99 is about that scale's time, ~0.1 s here; ~1.2 s at the world's default).
- the shipped web-failover end to end with the simulated world's default delays (0.3 s an action step, DNS live
  1 s after a change), each human step ticked at once: its wall time and the RTO the run records (the sum of its
  done steps' times, as a drill's report counts it); then a drill of it, whose RTO estimate adds each simulated
  change's full expected time (the runbook's expect_seconds).
- one status broadcast to 10 incident channels (5 Slack, 5 Telegram) through core.broadcast: the publish into the
  outbox alone, and the whole way to the Slack and Telegram fakes through the real Deliverers with the platforms'
  rate limits (bench.dr_delivery).

Uses the Redis at OPSBOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/13) and FLUSHES that database."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import redis

from actions.simulated.dns import SimulatedDns
from actions.simulated.provider import SimulatedCloud
from bench.dr_chat import chat_figures, whole_run
from bench.dr_delivery import delivered
from bench.figures import Figure
from bench.loopback import bench_redis, policy_without_rate_limits
from bot.runtime import Runtime
from core.broadcast import broadcast
from core.metrics import quantile
from core.outbox import Outbox
from core.settings import Settings
from policies.runbooks import find_runbook, load_runbooks
from workers.runbook_report import rto_seconds

CHANNELS = [f"slack:C0INC{n}" for n in range(5)] + [f"telegram:-10000000{n}" for n in range(5)]


@dataclass(frozen=True)
class Sizes:
    chat_runs: int = 20  # failover approved, run to its human step, aborted
    full_step_seconds: float = 0.3  # a simulated action's step in the whole failover (the world's default)
    broadcasts: int = 100
    delivery_rounds: int = 3  # a second apart: within each Telegram group's burst
    runbooks: Path | None = None  # the shipped ones (a test gives them shorter expected times)


def run() -> list[Figure]:
    url = bench_redis("redis://127.0.0.1:6379/13")
    if url is None:
        return [Figure("dr: skipped, no Redis at OPSBOT_BENCH_REDIS_URL", 0, "")]
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp:
        return measure(Path(tmp), url, Sizes())


def measure(tmp: Path, url: str, sizes: Sizes) -> list[Figure]:
    base = {"redis_url": url, "data_dir": tmp / "data", "sim_resources": 2000, "runbook_poll_seconds": 0.05,
            "policy": policy_without_rate_limits(tmp), "runbooks": sizes.runbooks}  # fmt: skip
    quick = Settings.model_validate(base | {"sim_step_seconds": 0.02})
    runtime = Runtime.build(quick, with_worker=True)
    try:
        figures = chat_figures(runtime, sizes.chat_runs)
    finally:
        runtime.close()
    figures += full_figures(Settings.model_validate(base | {"sim_step_seconds": sizes.full_step_seconds}))
    connection = redis.Redis.from_url(url)
    figures += broadcast_figures(connection, sizes.broadcasts)
    rounds = delivered(connection, sizes.delivery_rounds)
    return [
        *figures,
        Figure(f"broadcast delivered to 10 channels p50 ({len(rounds)} rounds)", quantile(rounds, 0.5) * 1000, "ms"),
        Figure(f"broadcast delivered to 10 channels, slowest ({len(rounds)} rounds)", max(rounds) * 1000, "ms",
               "<= 1,000 ms"),
    ]  # fmt: skip


def full_figures(settings: Settings) -> list[Figure]:
    runbook = find_runbook(load_runbooks(settings.runbooks), "failover", "web-prod")
    if runbook is None:
        raise RuntimeError("dr bench: no failover runbook protects web-prod")
    runtime = Runtime.build(settings, with_worker=True)
    try:
        failover, wall = whole_run(runtime, runbook, drill=False, timeout=60.0)
        failover_steps = len(failover.steps)
        # The world back where it began (web-prod serving, web-dr at 0, DNS on web-prod) for the drill.
        SimulatedCloud(runtime.connection, seed=settings.sim_seed, size=settings.sim_resources).reset()
        SimulatedDns(runtime.connection, seed=settings.sim_seed, size=settings.sim_resources).reset()
        drill, drill_wall = whole_run(runtime, runbook, drill=True, timeout=60.0)
    finally:
        runtime.close()
    return [
        Figure(f"full simulated failover of web-prod ({failover_steps} steps), wall", wall, "s", "< 600 s (seed)"),
        Figure("  its RTO as the run records it (done steps' times)", rto_seconds(failover), "s"),
        Figure("drill of web-failover, wall", drill_wall, "s"),
        Figure("  its RTO estimate (simulated changes at expect_seconds)", rto_seconds(drill), "s"),
    ]


def broadcast_figures(connection: redis.Redis, runs: int) -> list[Figure]:
    """One status line to 10 incident channels on 2 platforms, published into the outbox."""
    outbox, times = Outbox(connection), []
    for n in range(runs):
        start = time.perf_counter()
        sent = broadcast(outbox, CHANNELS, f"failover 1 of web: step {n % 9 + 1} of 9 running")
        times.append(time.perf_counter() - start)
    if len(sent) != len(CHANNELS):
        raise RuntimeError(f"dr bench: the broadcast reached {len(sent)} channels, not {len(CHANNELS)}")
    return [
        Figure("broadcast to 10 channels (5 Slack, 5 Telegram) p50", quantile(times, 0.5) * 1000, "ms"),
        Figure("broadcast to 10 channels (publish) p99", quantile(times, 0.99) * 1000, "ms", "<= 1,000 ms"),
    ]


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
