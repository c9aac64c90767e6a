"""Live metric streams: 1,000 instance streams and up to 50 group streams (the 10,000-resource world has 41 groups
with members) of the simulated world's own metrics, polled at 1 Hz by one poller process (the thread `opsbot worker`
runs) and read by one subscriber process (what the dashboard's SSE does), against the local Redis for ~20 s.

Reported: source -> subscriber latency (the point's source timestamp to the moment the subscriber has the entry),
entries/s, and the CPU seconds per wall second of the poller and of the subscriber, per 1,000 streams. Then the
CloudWatch bill of a day of watching one group of 20 instances at CloudWatch's 1-minute resolution, from the
poller's own count of the metrics it asked for (GetMetricData bills per 1,000 metrics requested), on a clock moved
through the day.

Uses DB 14 of the Redis named by OPSBOT_REDIS_URL (default 127.0.0.1:6379) and empties it before and after."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Sequence
from multiprocessing.queues import Queue
from typing import Any

import redis

from actions.metrics.model import Metric, Series, SeriesRequest
from actions.provider import Resource
from actions.simulated.inventory import generate_inventory
from actions.simulated.metrics import SimulatedMetrics
from bench.figures import Figure
from core.metrics import quantile

BENCH_DB = 14
SEED = 42
INSTANCES, GROUPS = 1000, 50
RUN_SECONDS, WARMUP_SECONDS = 20.0, 3.0
CLOUDWATCH_USD_PER_1000 = 0.01  # GetMetricData, per 1,000 metrics requested
DAY = 86_400
WATCHED_GROUP = 20  # instances in the group watched for a day


def run() -> list[Figure]:
    settings = _redis_settings()
    connection = redis.Redis(**settings)
    try:
        connection.flushdb()  # the benchmark's own database, empty; and Redis is there
    except redis.RedisError as exc:
        print(f"   metrics: no Redis at {settings.get('host')}:{settings.get('port')} ({exc}); skipped")
        return []
    try:
        streams = _streams(connection, settings)
        connection.flushdb()
        return streams + _cloudwatch_day(connection)
    finally:
        connection.flushdb()
        connection.close()


def _redis_settings() -> dict[str, Any]:
    """The client settings of OPSBOT_REDIS_URL's server, on this benchmark's own database (for each process)."""
    named = redis.ConnectionPool.from_url(os.environ.get("OPSBOT_REDIS_URL", "redis://127.0.0.1:6379"))
    # Only the URL's own settings: redis-py 8 adds internal objects to connection_kwargs that Redis() refuses.
    kept = {k: v for k, v in named.connection_kwargs.items() if k in _URL_SETTINGS}
    return {**kept, "db": BENCH_DB}


_URL_SETTINGS = frozenset({"host", "port", "username", "password"})


def _world() -> tuple[list[Resource], list[Resource]]:
    """The watched instances (running, so they report) and groups (with members) of the simulated world."""
    resources = generate_inventory(SEED, 10_000)
    instances = [r for r in resources if r.kind == "instance" and r.state != "stopped"][:INSTANCES]
    groups = [r for r in resources if r.kind == "group" and r.count][:GROUPS]
    return instances, groups


def _keys() -> list[Any]:
    from workers.metric_streams import StreamKey

    instances, groups = _world()
    return [StreamKey(metric=Metric.CPU, scope=r.id) for r in [*instances, *groups]]


def _streams(connection: redis.Redis, settings: dict[str, Any]) -> list[Figure]:
    from workers.metric_streams import want

    keys = _keys()
    for key in keys:
        want(connection, key, ttl_s=RUN_SECONDS * 3)
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters: neither inherits the other's threads
    results: Queue[dict[str, Any]] = spawn.Queue()
    subscriber = spawn.Process(target=_subscriber, args=(settings, results), name="subscriber")
    poller = spawn.Process(target=_poller, args=(settings, results), name="poller")
    subscriber.start()
    results.get(timeout=60)  # the subscriber reads from now on: it is ready
    poller.start()
    reports = {report["who"]: report for report in (results.get(timeout=RUN_SECONDS * 4) for _ in range(2))}
    subscriber.join(10)
    poller.join(10)
    return _figures(len(keys), reports["poller"], reports["subscriber"])


def _figures(streams: int, poller: dict[str, Any], subscriber: dict[str, Any]) -> list[Figure]:
    latencies, per_thousand = subscriber["latencies"], streams / 1000
    ticks = poller["ticks"]
    return [
        Figure("metric streams: streams at 1 Hz", streams, "streams"),
        # Latency here is mostly waiting for a CPU when the machine is busy: read the figures beside this one.
        Figure("metric streams: load average during the run", subscriber["load"], f"(on {os.cpu_count()} CPUs)"),
        Figure("metric streams: source -> subscriber p50", quantile(latencies, 0.5) * 1000, "ms"),
        Figure("metric streams: source -> subscriber p99", quantile(latencies, 0.99) * 1000, "ms", "<= 500 ms"),
        Figure("metric streams: entries read", subscriber["entries"] / subscriber["wall"], "entries/s"),
        Figure("metric streams: poll tick, mean", poller["tick_seconds"] / max(ticks, 1) * 1000, "ms"),
        Figure("metric streams: source questions per tick", poller["fetches"] / max(ticks, 1), "questions"),
        Figure("metric streams: poller CPU per 1,000 streams", poller["cpu"] / poller["wall"] / per_thousand,
               "CPU s/s"),
        Figure("metric streams: subscriber CPU per 1,000 streams",
               subscriber["cpu"] / subscriber["wall"] / per_thousand, "CPU s/s"),
    ]  # fmt: skip


def _poller(settings: dict[str, Any], results: Queue[dict[str, Any]]) -> None:
    """The worker's poller thread, alone in a process, for RUN_SECONDS plus the warm-up."""
    from prometheus_client import REGISTRY

    from workers.metric_poller import StreamPoller

    instances, groups = _world()
    inventory = generate_inventory(SEED, 10_000)
    connection = redis.Redis(**settings)
    poller = StreamPoller(connection, lambda: inventory, [SimulatedMetrics(SEED)])
    wall, cpu = time.perf_counter(), time.process_time()
    poller.start()
    time.sleep(RUN_SECONDS + WARMUP_SECONDS + 1)
    poller.stop()
    results.put({
        "who": "poller", "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu,
        "ticks": REGISTRY.get_sample_value("opsbot_metric_stream_tick_seconds_count") or 0,
        "tick_seconds": REGISTRY.get_sample_value("opsbot_metric_stream_tick_seconds_sum") or 0.0,
        "fetches": sum(poller.fetches.values()), "streams": len(instances) + len(groups),
    })  # fmt: skip


def _subscriber(settings: dict[str, Any], results: Queue[dict[str, Any]]) -> None:
    """Reads every stream as the dashboard would; counts from the end of the warm-up for RUN_SECONDS."""
    from workers.metric_streams import cursors_for, read_new

    connection = redis.Redis(**settings)
    cursors = cursors_for(connection, _keys())
    results.put({"who": "ready"})
    latencies: list[float] = []
    entries, start = 0, time.perf_counter()
    counting_from, cpu = start + WARMUP_SECONDS, 0.0
    while (now := time.perf_counter()) < counting_from + RUN_SECONDS:
        if cpu == 0.0 and now >= counting_from:
            cpu, entries, latencies = time.process_time(), 0, []
        for _, point in read_new(connection, cursors, block_ms=500):
            entries += 1
            if point.source_t is not None:
                latencies.append(time.time() - point.source_t)
    results.put({"who": "subscriber", "wall": time.perf_counter() - counting_from, "cpu": time.process_time() - cpu,
                 "entries": entries, "latencies": latencies, "load": os.getloadavg()[0]})  # fmt: skip


class _PricedAsCloudWatch:
    """The simulated world's values, asked for as CloudWatch would be: the poller's counter of metrics requested
    is what GetMetricData bills."""

    name = "CloudWatch"

    def __init__(self, inner: SimulatedMetrics) -> None:
        self._inner = inner

    def covers(self, resource: Resource) -> bool:
        return self._inner.covers(resource)

    def fetch(self, request: SeriesRequest, timeout: float) -> list[Series]:
        return self._inner.fetch(request, timeout)


def _cloudwatch_day(connection: redis.Redis) -> list[Figure]:
    from workers.metric_poller import StreamPoller
    from workers.metric_streams import StreamKey, schedule, want

    group, members = _group_of(WATCHED_GROUP)
    clock = _Clock(float(int(time.time()) // 60 * 60))
    source = _PricedAsCloudWatch(SimulatedMetrics(SEED, clock=clock))
    poller = StreamPoller(connection, lambda: [group, *members], [source], clock=clock)
    key = StreamKey(metric=Metric.CPU, scope=group.id)
    want(connection, key, ttl_s=2 * DAY, clock=clock)
    due, end = schedule(connection, clock), clock.now + DAY
    while clock.now < end:  # the day as the poller's thread lives it: it wakes when the next stream is due
        poller.tick()
        clock.now = max(clock.now + 1, due.next_due() or end)
    requested = poller.requested["CloudWatch"]
    return [
        Figure(f"CloudWatch metrics requested, a day of one {WATCHED_GROUP}-instance group", requested, "metrics"),
        Figure("CloudWatch cost of that day", requested / 1000 * CLOUDWATCH_USD_PER_1000, "USD"),
    ]


def _group_of(size: int) -> tuple[Resource, Sequence[Resource]]:
    instances, groups = _world()
    group = groups[0].model_copy(update={"count": size})
    members = [r.model_copy(update={"group": group.name, "cloud": group.cloud, "region": group.region})
               for r in instances[:size]]  # fmt: skip
    return group, members


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
