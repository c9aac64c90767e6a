"""Hours of a fleet's past for a REAL Prometheus (`fakes.prometheus.Prometheus(history=...)`): the series the shipped
metrics mapping queries, as node_exporter and a web service expose them, for hosts of groups, in OpenMetrics text
with timestamps for `promtool tsdb create-blocks-from openmetrics`. A benchmark then asks a Prometheus started a
moment ago about the last 6 hours, as it would a long-running one.

Every host's load moves smoothly and differently (a few hours' swell, a few minutes' ripple, its own phase), the
first host of each group runs hot (a member that stands out), and the counters are that load summed over time, so
every metric of the mapping has a shape: `node_cpu_seconds_total{cpu,mode}`, `node_memory_MemTotal_bytes` /
`MemAvailable_bytes`, `node_network_receive_bytes_total` / `transmit`, `http_requests_total{code}` and
`http_request_duration_seconds` (a histogram). Each sample is labelled `instance` (the host's name), `group` and
`job` ("node"): Prometheus keeps them as written (no scrape relabels a backfill).

The values are deterministic: the same hosts and instants always give the same text."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

MEMORY_TOTAL = 16 * 2**30
BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0)  # seconds; +Inf added
SWELL, RIPPLE = 4 * 3600.0, 420.0  # periods of the slow and the quick change, seconds


@dataclass(frozen=True)
class Sample:
    """A host's rates and levels at one instant."""

    busy: float  # share of CPU time not idle, 0..1
    memory: float  # share used, 0..1
    requests: float  # per second
    errors: float  # per second, of `requests`
    latency: float  # seconds each request takes
    received: float  # bytes per second
    sent: float


def sample(index: int, at: float) -> Sample:
    """Host number `index` of its group at `at` (unix seconds); host 0 is the hot one."""
    phase = 0.9 * index
    swell = math.sin(2 * math.pi * at / SWELL + phase)
    ripple = math.sin(2 * math.pi * at / RIPPLE + 2 * phase)
    busy = min(max(0.32 + 0.14 * swell + 0.05 * ripple + (0.45 if index == 0 else 0.0), 0.02), 0.98)
    requests = 40.0 + 15.0 * swell + 2.0 * index
    return Sample(
        busy=busy,
        memory=min(0.35 + 0.02 * (index % 10) + 0.08 * swell, 0.95),
        requests=requests,
        errors=0.1 + 0.3 * max(ripple, 0.0),
        latency=0.03 + 0.4 * busy**2,
        received=requests * 24_000.0,
        sent=requests * 61_000.0,
    )


def history(hosts: dict[str, str], start: float, end: float, every: float = 30.0) -> str:
    """The series of `hosts` (name -> group) at start, start + every, ... < end, ending with "# EOF"."""
    instants = [start + i * every for i in range(int((end - start) / every))]
    indexes: dict[str, int] = {}
    seen: dict[str, int] = {}  # the last index given in each group
    for name, group in hosts.items():
        indexes[name] = seen[group] = seen.get(group, -1) + 1
    # One pass over time gives every series its samples in order; each family's lines stay together (OpenMetrics
    # wants a family's samples contiguous), so they are gathered per family and joined at the end.
    families: dict[str, list[str]] = {name: [f"# TYPE {name} {kind}"] for name, kind in _FAMILIES}
    totals = {name: dict.fromkeys(_COUNTERS, 0.0) for name in hosts}
    for at in instants:
        for name, group in hosts.items():
            now = sample(indexes[name], at)
            total = totals[name]
            for key, rate in _rates(now).items():
                total[key] += rate * every
            labels = f'instance="{name}",group="{group}",job="node"'
            for family, line in _lines(labels, now, total):
                families[family].append(f"{line} {at:.3f}")
    return "\n".join([*(line for lines in families.values() for line in lines), "# EOF", ""])


_FAMILIES = (
    ("node_cpu_seconds", "counter"),
    ("node_memory_MemTotal_bytes", "gauge"),
    ("node_memory_MemAvailable_bytes", "gauge"),
    ("node_network_receive_bytes", "counter"),
    ("node_network_transmit_bytes", "counter"),
    ("http_requests", "counter"),
    ("http_request_duration_seconds", "histogram"),
)
_COUNTERS = ("idle", "user", "received", "sent", "ok", "failed", "spent", *(f"le{b}" for b in BUCKETS))


def _rates(now: Sample) -> dict[str, float]:
    """How fast each counter grows at this instant (per second)."""
    rates = {
        "idle": 1.0 - now.busy, "user": now.busy, "received": now.received, "sent": now.sent,
        "ok": now.requests - now.errors, "failed": now.errors, "spent": now.requests * now.latency,
    }  # fmt: skip
    for bucket in BUCKETS:
        rates[f"le{bucket}"] = now.requests if now.latency <= bucket else 0.0
    return rates


def _lines(labels: str, now: Sample, total: dict[str, float]) -> Iterator[tuple[str, str]]:
    """(family, sample line without its timestamp) for one host at one instant."""
    yield "node_cpu_seconds", f'node_cpu_seconds_total{{{labels},cpu="0",mode="idle"}} {total["idle"]:.3f}'
    yield "node_cpu_seconds", f'node_cpu_seconds_total{{{labels},cpu="0",mode="user"}} {total["user"]:.3f}'
    yield "node_memory_MemTotal_bytes", f"node_memory_MemTotal_bytes{{{labels}}} {MEMORY_TOTAL}"
    available = MEMORY_TOTAL * (1.0 - now.memory)
    yield "node_memory_MemAvailable_bytes", f"node_memory_MemAvailable_bytes{{{labels}}} {available:.0f}"
    device = f'{labels},device="eth0"'
    yield "node_network_receive_bytes", f"node_network_receive_bytes_total{{{device}}} {total['received']:.0f}"
    yield "node_network_transmit_bytes", f"node_network_transmit_bytes_total{{{device}}} {total['sent']:.0f}"
    yield "http_requests", f'http_requests_total{{{labels},code="200"}} {total["ok"]:.3f}'
    yield "http_requests", f'http_requests_total{{{labels},code="500"}} {total["failed"]:.3f}'
    family = "http_request_duration_seconds"
    for bucket in BUCKETS:
        yield family, f'{family}_bucket{{{labels},le="{bucket}"}} {total[f"le{bucket}"]:.3f}'
    count = total["ok"] + total["failed"]
    yield family, f'{family}_bucket{{{labels},le="+Inf"}} {count:.3f}'
    yield family, f"{family}_count{{{labels}}} {count:.3f}"
    yield family, f"{family}_sum{{{labels}}} {total['spent']:.3f}"
