"""What a metrics question asks for and what a source answers, whatever the source.

A `SeriesRequest` names one metric of some resources (a group's members, or one instance) over a time range at a
step; a `MetricSource` answers it with one `Series` per resource it has data for. A resource missing from the
answer has no data in that source (said so in the reply); a source that cannot answer raises `MetricsUnavailable`
with one short line. Values are in the metric's unit (`METRICS[m].unit`): CPU and memory in percent, latency in
milliseconds, errors and requests per second, network in bytes per second."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from actions.provider import Resource
from core.errors import OpsbotError
from core.models import Frozen

MAX_POINTS = 11_000  # Prometheus refuses a range query of more points per series than this
TARGET_POINTS = 360  # what a phone-sized chart shows well: 6 h at 1 min
STEPS = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)  # seconds


class Metric(StrEnum):
    CPU = "cpu"
    MEMORY = "memory"
    LATENCY_P99 = "latency_p99"
    LATENCY_P50 = "latency_p50"
    ERRORS = "errors"
    REQUESTS = "requests"
    NETWORK_IN = "network_in"
    NETWORK_OUT = "network_out"


@dataclass(frozen=True)
class MetricInfo:
    label: str  # "CPU", "p99 latency"
    unit: str  # "%", "ms", "/s", "B/s"
    threshold: float | None  # the usual alert line when no alert names one


METRICS: dict[Metric, MetricInfo] = {
    Metric.CPU: MetricInfo("CPU", "%", 80.0),
    Metric.MEMORY: MetricInfo("memory", "%", 90.0),
    Metric.LATENCY_P99: MetricInfo("p99 latency", "ms", 500.0),
    Metric.LATENCY_P50: MetricInfo("median latency", "ms", None),
    Metric.ERRORS: MetricInfo("errors", "/s", None),
    Metric.REQUESTS: MetricInfo("requests", "/s", None),
    Metric.NETWORK_IN: MetricInfo("network in", "B/s", None),
    Metric.NETWORK_OUT: MetricInfo("network out", "B/s", None),
}


class MetricsUnavailable(OpsbotError):
    """The source did not answer (unreachable, too slow, refused): one short line naming it."""


class SeriesRequest(Frozen):
    metric: Metric
    resources: tuple[Resource, ...]  # instances (a group's members), or the group itself where a source sums it
    start: float  # unix seconds
    end: float
    step: int  # seconds between points


class Series(Frozen):
    resource_id: str
    resource_name: str
    points: tuple[tuple[float, float], ...]  # (unix seconds, value), oldest first; gaps are left out, never NaN


class MetricSource(Protocol):
    name: str  # "Prometheus", "CloudWatch", "Azure Monitor", "Cloud Monitoring", "simulated"

    def covers(self, resource: Resource) -> bool:
        """Whether this source has the resource's metrics at all (its cloud, its kind)."""
        ...

    def fetch(self, request: SeriesRequest, timeout: float) -> list[Series]:
        """One series per resource with data, within `timeout` seconds or MetricsUnavailable."""
        ...


def choose_step(start: float, end: float, target: int = TARGET_POINTS) -> int:
    """The smallest of STEPS that gives at most `target` points over the range (and never more than MAX_POINTS)."""
    span = max(end - start, 1.0)
    for step in STEPS:
        if span / step <= target:
            return step
    return max(STEPS[-1], math.ceil(span / MAX_POINTS))
