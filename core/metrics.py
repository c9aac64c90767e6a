"""The bot measures itself: each stage is timed into a Prometheus histogram, and a recent window of
samples is kept so `perf` can answer with p50/p99 per stage."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from prometheus_client import Histogram

STAGES = ("parse", "policy", "queue_wait", "execution", "delivery", "reply", "voice")

STAGE_SECONDS = Histogram(
    "opsbot_stage_seconds",
    "Time spent in each stage of handling a command.",
    ["stage"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

_WINDOW = 2048
_SHARED = "opsbot:metrics:"  # + stage: a capped list of recent samples from every worker process
_samples: dict[str, deque[float]] = {stage: deque(maxlen=_WINDOW) for stage in STAGES}
_lock = threading.Lock()


def observe(stage: str, seconds: float) -> None:
    STAGE_SECONDS.labels(stage=stage).observe(seconds)
    with _lock:
        _samples.setdefault(stage, deque(maxlen=_WINDOW)).append(seconds)


@contextmanager
def timed(stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        observe(stage, time.perf_counter() - start)


def quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile of unsorted values (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))
    return ordered[index]


def snapshot() -> dict[str, tuple[int, float, float]]:
    """stage -> (samples, p50 seconds, p99 seconds) for the stages that have samples."""
    with _lock:
        copies = {stage: list(values) for stage, values in _samples.items() if values}
    return {stage: (len(v), quantile(v, 0.5), quantile(v, 0.99)) for stage, v in copies.items()}


def share(connection: redis.Redis, stage: str, seconds: float) -> None:
    """Observe, and also keep the sample in Redis: a forking worker's work-horse exits after each job, so
    stages timed there (queue wait, execution) reach `perf` in the chat process only this way."""
    observe(stage, seconds)
    key = _SHARED + stage
    with connection.pipeline(transaction=False) as pipe:
        pipe.lpush(key, f"{seconds:.6f}")
        pipe.ltrim(key, 0, _WINDOW - 1)
        pipe.execute()


def shared_snapshot(connection: redis.Redis, stages: tuple[str, ...]) -> dict[str, tuple[int, float, float]]:
    """Like `snapshot`, for stages timed by `share` in any process."""
    with connection.pipeline(transaction=False) as pipe:
        for stage in stages:
            pipe.lrange(_SHARED + stage, 0, -1)
        raw = pipe.execute()
    out: dict[str, tuple[int, float, float]] = {}
    for stage, values in zip(stages, raw, strict=True):
        samples = [float(v) for v in values]
        if samples:
            out[stage] = (len(samples), quantile(samples, 0.5), quantile(samples, 0.99))
    return out
