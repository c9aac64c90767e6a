"""Benchmarks of the simulated inventory: generation, memory, snapshots (unchanged / after a change), search,
status and plan. Runs against its own seed's namespace, so a live simulated world is never touched."""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable

import redis

from actions.provider import Resource
from actions.queries import search, status
from actions.simulated import SimulatedCloud, generate_inventory
from bench.figures import Figure
from core.models import ActionName, ActionRequest
from core.redis import connect
from core.settings import load_settings

SEED, SIZE = 4242, 10_000  # not the default seed: the bench's changes live in a namespace of their own
QUERIES = (
    "web-prod", "web", "billing", "wbe-prod", "prod web", "db", "frontend", "us-east-1", "gallery-staging",
    "checkout-prod-db-1", "kemi", "zzz",
)  # fmt: skip


def _times_ms(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _scale_web(cloud: SimulatedCloud, count: int) -> ActionRequest:
    web = cloud.get("web-prod")
    return ActionRequest.on(web, ActionName.SCALE, requested_by="bench", desired_count=count)


def _searching(inventory: tuple[Resource, ...], query: str) -> Callable[[], object]:
    return lambda: search(inventory, query=query)


def run(connection: redis.Redis | None = None) -> list[Figure]:
    conn = connection if connection is not None else connect(load_settings())
    figures: list[Figure] = []
    generation = _times_ms(lambda: generate_inventory(SEED, SIZE), 5)
    figures.append(Figure("inventory generation (10k) median", statistics.median(generation), "ms", "<= 100 ms"))
    tracemalloc.start()
    inventory = generate_inventory(SEED, SIZE)
    memory = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    figures.append(Figure("inventory memory (10k resources)", memory, "MB", "<= 25 MB"))

    cloud = SimulatedCloud(conn, seed=SEED, size=SIZE, step_seconds=0.0)
    cloud.reset()
    cloud.snapshot()
    cached = _times_ms(cloud.snapshot, 200)
    figures.append(Figure("snapshot, unchanged world p50", _p(cached, 0.5), "ms", "<= 1 ms"))
    after_change: list[float] = []
    for i in range(20):
        cloud.execute(_scale_web(cloud, 16 if i % 2 == 0 else 12), lambda _line: None)
        after_change += _times_ms(cloud.snapshot, 1)
    figures.append(Figure("snapshot after a change p50", _p(after_change, 0.5), "ms", "<= 20 ms"))
    request = _scale_web(cloud, 20)
    plans = _times_ms(lambda: cloud.plan(request), 100)
    figures.append(Figure("plan (scale web-prod) p50", _p(plans, 0.5), "ms", "<= 5 ms"))
    cloud.reset()

    search(inventory, query="warm-up")
    searches = [t for query in QUERIES for t in _times_ms(_searching(inventory, query), 40)]
    figures.append(Figure("search over 10k p50", _p(searches, 0.5), "ms", "<= 5 ms"))
    figures.append(Figure("search over 10k p99", _p(searches, 0.99), "ms", "<= 20 ms"))
    snapshot = cloud.snapshot()
    reports = _times_ms(lambda: status(snapshot), 30)
    figures.append(Figure("status over 10k p50", _p(reports, 0.5), "ms", "<= 20 ms"))
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
