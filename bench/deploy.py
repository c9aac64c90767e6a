"""`opsbot bench --only deploy`: the speed goals of deploys and rollbacks from chat (issue 16).

- On the real backends and the loopback fakes, every request paying a simulated cloud latency (60-180 ms; see
  bench.deploy_clouds): validation of a three-cloud release, an AWS rollback's initiation, and 20 services x 3
  clouds starting their rollouts at once through one client-side RateLimiter at `cloud_requests_per_second`.
- In the simulated world through a whole opsbot (bench.deploy_chat): confirm -> first group rolling, a rollback's
  initiation mid-flight, the watcher's tick and progress edit latency with 20 deploys running, "deploy status"
  beside 200 finished deploys.

Uses the Redis at OPSBOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/15) and FLUSHES that database."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import redis

from bench.deploy_chat import chat_figures, populate, status_figures, watcher_figures
from bench.deploy_cloud_figures import cloud_figures
from bench.figures import Figure
from bench.loopback import bench_redis, policy_without_rate_limits
from bot.runtime import Runtime
from core.settings import Settings


@dataclass(frozen=True)
class Sizes:
    validations: int = 20
    services: int = 20  # rolling at once across the three clouds
    group_size: int = 2
    rollbacks: int = 10  # AWS rollbacks timed
    chat_runs: int = 15  # deploy + rollback from chat
    running: int = 20
    finished: int = 200
    ticks: int = 10
    status_runs: int = 50


def run() -> list[Figure]:
    url = bench_redis("redis://127.0.0.1:6379/15")
    if url is None:
        return [Figure("deploy: skipped, no Redis at OPSBOT_BENCH_REDIS_URL", 0, "")]
    return measure(url, Sizes())


def measure(url: str, sizes: Sizes) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp:
        figures = chat_measures(Path(tmp), url, sizes)
    return figures + cloud_figures(
        validations=sizes.validations, services=sizes.services, size=sizes.group_size,
        per_second=Settings().cloud_requests_per_second, rollbacks=sizes.rollbacks,
    )  # fmt: skip


def chat_measures(tmp: Path, url: str, sizes: Sizes) -> list[Figure]:
    # A batch of the simulated world takes 4 steps: 0.4 s from chat (a staging deploy is still rolling when its
    # rollback is confirmed), 8 s for the 20 left running (they are still rolling after every tick).
    base = {"redis_url": url, "data_dir": tmp / "data", "sim_resources": 5000, "deploy_poll_seconds": 0.2,
            "policy": policy_without_rate_limits(tmp)}  # fmt: skip
    quick = Settings.model_validate(base | {"sim_step_seconds": 0.1})
    slow = Settings.model_validate(base | {"sim_step_seconds": 2.0})
    runtime = Runtime.build(quick, with_worker=True)
    try:
        figures = chat_figures(runtime, sizes.chat_runs)
    finally:
        runtime.close()
    connection = redis.Redis.from_url(url)
    ids = populate(slow, connection, sizes.running, sizes.finished)
    figures += watcher_figures(slow, connection, ids, sizes.ticks)
    runtime = Runtime.build(slow, with_worker=False)
    try:
        figures += status_figures(runtime, sizes.status_runs, sizes.running, sizes.finished)
    finally:
        runtime.close()
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
