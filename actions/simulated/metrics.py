"""The simulated world's own metrics: a deterministic series for every metric of every running resource.

A value at a moment is a pure function of (seed, resource id, metric, timestamp): a daily rhythm (busiest in the
European evening), busier weekends (weddings), a slow wander and fast noise, both from a hash of (resource, metric,
time bucket) - so the same question gets the same answer in every process, and a point does not change with the
window it is read in. CPU ends on the resource's own samples: the world's 12 `cpu` samples are its last hour at
5 minutes (what status and "details" show), anchored at the present 5-minute mark, and the two hours before them
blend from the rhythm into the samples' level. Resources whose samples run hot (a degraded instance) stay hot on
every metric; of those without samples, a few in a hundred run hot by hash."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from actions.metrics.model import Metric, Series, SeriesRequest
from actions.provider import Resource

Array = NDArray[np.float64]

SAMPLE_SECONDS = 300  # the world's cpu samples are 5 minutes apart, the last one at the present 5-minute mark
SAMPLES = 12
BLEND_SECONDS = 7200  # before the samples, the rhythm blends into their level over two hours
HOT_CPU = 85.0  # a resource whose CPU level is this or more runs hot on every metric
HOT_SHARE = 0.04  # of resources without samples, this share runs hot
COVERED_KINDS = frozenset({"instance", "group", "database", "load_balancer"})
_DAY, _WEEK_OFFSET = 86_400, 3  # 1970-01-01 was a Thursday (Monday = 0)
_U64 = np.uint64


@dataclass(frozen=True)
class _Profile:
    low: float  # the range a resource's typical level is drawn from (by hash)
    high: float
    swing: float  # how much of the level follows the daily rhythm
    noise: float  # fast noise, as a share of the level
    hot: float  # a hot resource's level is multiplied by this
    ceiling: float | None = None


PROFILES = {
    Metric.CPU: _Profile(10, 70, 0.6, 0.08, 1.0, 100.0),  # hot CPU levels come from the samples or by hash
    Metric.MEMORY: _Profile(35, 70, 0.15, 0.03, 1.3, 100.0),
    Metric.LATENCY_P99: _Profile(150, 320, 0.4, 0.12, 3.0),
    Metric.LATENCY_P50: _Profile(35, 90, 0.3, 0.1, 2.0),
    Metric.ERRORS: _Profile(0.05, 0.6, 1.0, 0.5, 12.0),
    Metric.REQUESTS: _Profile(40, 900, 1.0, 0.08, 1.4),
    Metric.NETWORK_IN: _Profile(2e5, 2e7, 1.0, 0.15, 1.6),
    Metric.NETWORK_OUT: _Profile(3e5, 3e7, 1.0, 0.15, 1.6),
}


class SimulatedMetrics:
    """A MetricSource over the simulated world: every running instance, group, database and load balancer."""

    name = "simulated"

    def __init__(self, seed: int, *, clock: Callable[[], float] = time.time) -> None:
        self.seed = seed
        self._clock = clock

    def covers(self, resource: Resource) -> bool:
        return resource.kind in COVERED_KINDS

    def fetch(self, request: SeriesRequest, timeout: float) -> list[Series]:
        """A series per resource that reports (running, or a group with members); points on multiples of the step
        up to now (the future has no data)."""
        now = self._clock()
        first = math.ceil(request.start / request.step) * request.step
        last = min(request.end, now)
        if last < first:
            return []
        # Counted, not np.arange(first, last + eps): at 1.8e9 s a tiny eps is lost and the last point with it.
        times = first + request.step * np.arange(int((last - first) // request.step) + 1, dtype=np.float64)
        reporting = [r for r in request.resources if self.covers(r) and _reports(r)]
        if not reporting:
            return []
        values = self.values(request.metric, reporting, times, now)
        stamps = times.tolist()
        return [
            # Built from our own arrays: validation would only re-check 2 x len(times) floats per member.
            Series.model_construct(
                resource_id=r.id, resource_name=r.name, points=tuple(zip(stamps, row.tolist(), strict=True))
            )
            for r, row in zip(reporting, values, strict=True)
        ]

    def values(self, metric: Metric, resources: list[Resource], times: Array, now: float) -> Array:
        """One row of values per resource at `times` (a 2-D array: resources x times)."""
        profile = PROFILES[metric]
        keys = np.array([_key(self.seed, r.id, metric) for r in resources], dtype=_U64)[:, None]
        hot = np.array([_runs_hot(self.seed, r) for r in resources])[:, None]
        if metric is Metric.CPU:
            level = np.array([_cpu_level(self.seed, r) for r in resources])[:, None]
        else:
            level = profile.low + (profile.high - profile.low) * _uniform(keys ^ _U64(0x5EED))
            level = np.where(hot, level * profile.hot, level)
        rhythm = np.broadcast_to(profile.swing * (_load(times) - 1)[None, :], (len(resources), len(times))).copy()
        sampled = [row for row, r in enumerate(resources) if metric is Metric.CPU and r.cpu]
        for row in sampled:  # the rhythm fades out before the samples, whose level already holds the hour's load
            starts = _sample_times(now, len(resources[row].cpu))[0]
            rhythm[row] *= 1 - np.clip((times - (starts - BLEND_SECONDS)) / BLEND_SECONDS, 0.0, 1.0)
        wander = _wander(keys, times)
        fast = _uniform(_mix(keys + (times // 15).astype(_U64)[None, :] * _U64(0x9E3779B97F4A7C15))) - 0.5
        values = level * (1 + rhythm) * (1 + 0.15 * wander + 2 * profile.noise * fast)
        # Near the ceiling modelled values bend towards it, so hot ones still rank; measured samples stay as measured.
        if profile.ceiling is not None:
            knee = 0.9 * profile.ceiling
            room = profile.ceiling - knee
            values = np.where(values > knee, knee + room * (1 - np.exp(-(values - knee) / room)), values)
        for row in sampled:
            samples = resources[row].cpu[-SAMPLES:]
            sample_times = _sample_times(now, len(samples))
            measured = np.interp(times, sample_times, np.asarray(samples, dtype=np.float64))
            # Past the last sample (the minutes since the 5-minute mark) the last sample's level, with noise.
            fresh = times > sample_times[-1]
            measured[fresh] *= 1 + profile.noise * fast[row][fresh]
            values[row] = np.where(times >= sample_times[0], measured, values[row])
        if profile.ceiling is not None:
            np.minimum(values, profile.ceiling, out=values)
        result: Array = np.round(np.maximum(values, 0.0), 3).astype(np.float64)
        return result


def _reports(resource: Resource) -> bool:
    if resource.kind == "group":
        return bool(resource.count)
    return resource.state != "stopped"


def _key(seed: int, resource_id: str, metric: Metric) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{resource_id}:{metric.value}".encode()).digest()[:8], "big")


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """splitmix64's finaliser: a well-spread 64-bit hash of each value (uint64 arithmetic wraps, as intended)."""
    x = (x ^ (x >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U64(27))) * _U64(0x94D049BB133111EB)
    return x ^ (x >> _U64(31))


def _uniform(x: NDArray[np.uint64]) -> Array:
    """A hash as a number in [0, 1)."""
    result: Array = (_mix(x) >> _U64(11)).astype(np.float64) / float(1 << 53)
    return result


def _wander(keys: NDArray[np.uint64], times: Array) -> Array:
    """Slow drift in [-1, 1): a hashed value per hour, linearly interpolated between hours."""
    hours = times / 3600.0
    whole = np.floor(hours)
    share = (hours - whole)[None, :]
    at = whole.astype(_U64)[None, :] * _U64(0xD1B54A32D192ED03)
    before, after = _uniform(keys + at), _uniform(keys + at + _U64(0xD1B54A32D192ED03))
    result: Array = 2 * (before * (1 - share) + after * share) - 1
    return result


def _load(times: Array) -> Array:
    """The world's traffic shape, around 1: peaks at 18:00 UTC, troughs at 06:00, and a quarter more on weekends."""
    day_share = (times % _DAY) / _DAY
    daily = 1 + 0.35 * np.sin(2 * np.pi * (day_share - 0.5))
    weekday = ((times // _DAY) + _WEEK_OFFSET) % 7
    result: Array = daily * np.where(weekday >= 5, 1.25, 1.0)
    return result


def _runs_hot(seed: int, resource: Resource) -> bool:
    if resource.cpu:
        return sum(resource.cpu) / len(resource.cpu) >= HOT_CPU
    return _key(seed, resource.id, Metric.CPU) % 10_000 < HOT_SHARE * 10_000


def _cpu_level(seed: int, resource: Resource) -> float:
    """The resource's typical CPU: its samples' mean, else by hash (a hot one 85-97%)."""
    if resource.cpu:
        return sum(resource.cpu) / len(resource.cpu)
    share = (_key(seed, resource.id, Metric.CPU) >> 20) % 1000 / 1000
    profile = PROFILES[Metric.CPU]
    if _runs_hot(seed, resource):
        return 85 + 12 * share
    return profile.low + (profile.high - profile.low) * share


def _sample_times(now: float, count: int) -> Array:
    """When a resource's last `count` cpu samples were taken: 5 minutes apart, the last at the present 5-minute
    mark."""
    anchor = now // SAMPLE_SECONDS * SAMPLE_SECONDS
    result: Array = anchor - SAMPLE_SECONDS * np.arange(count - 1, -1, -1, dtype=np.float64)
    return result
