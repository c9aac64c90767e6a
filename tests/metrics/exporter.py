"""A node exporter and web service in one, for a REAL Prometheus to scrape: hosts of groups under a load the test
sets, exposed as the series the shipped metrics mapping queries (`node_cpu_seconds_total{cpu,mode}`,
`node_memory_MemTotal_bytes` / `MemAvailable_bytes`, `http_requests_total{code}`,
`http_request_duration_seconds_bucket`), each labelled `instance` (the host's name), `group` and `job`.

Counters are what the load gives integrated over time, computed when scraped from the `clock` (time is a
parameter): a host 25% busy since t0 has `idle` = 0.75 x (t - t0) per CPU. So the rate Prometheus computes is the
load itself, and the test knows exactly what every query must answer. `set(host, load)` flips a host's load from now
(or from `at`). Every request takes `latency` seconds: p99 and p50 come out of histogram_quantile's interpolation
within that request's bucket (`expected_quantile`).

`history(start, end, every)` renders the same series at past instants in OpenMetrics with timestamps, for
`promtool tsdb create-blocks-from openmetrics`: a Prometheus started a moment ago then has minutes of data, as a
long-running one has, and a rate over the one-minute windows the mapping asks for is not cut short.

The exporter labels `instance` itself (one exporter stands for many hosts, as a federation or Pushgateway does):
Prometheus must scrape it with `honor_labels: true`, or it would move them to `exported_instance`."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import start_http_server
from prometheus_client.registry import Collector

CPUS = ("0", "1")
MEMORY_TOTAL = 8 * 2**30
BUCKETS = (0.05, 0.25, 1.0, 2.5)  # seconds; +Inf added


@dataclass(frozen=True)
class Load:
    busy: float = 0.0  # share of CPU time not idle, 0..1
    memory: float = 50.0  # percent used
    requests: float = 10.0  # per second, all codes
    errors: float = 0.0  # per second, of `requests`, answered 500
    latency: float = 0.2  # seconds every request takes


def expected_quantile(q: float, latency: float) -> float:
    """What histogram_quantile answers, in ms, when every request took `latency` s (linear within its bucket)."""
    upper = next(b for b in BUCKETS if latency <= b)
    lower = max((b for b in BUCKETS if b < upper), default=0.0)
    return 1000 * (lower + (upper - lower) * q)


class Host:
    """One host's load over time: `changes` from `origin` on, each load holding until the next."""

    def __init__(self, name: str, group: str, origin: float, load: Load) -> None:
        self.name, self.group = name, group
        self.since = [origin]
        self.loads = [load]

    def set(self, load: Load, at: float) -> None:
        i = bisect.bisect_right(self.since, at)
        self.since.insert(i, at)
        self.loads.insert(i, load)

    def load(self, at: float) -> Load:
        return self.loads[max(bisect.bisect_right(self.since, at) - 1, 0)]

    def integral(self, rate: Callable[[Load], float], at: float) -> float:
        """The counter `rate` per second gives from the origin to `at`."""
        total = 0.0
        for i, (since, load) in enumerate(zip(self.since, self.loads, strict=True)):
            until = min(self.since[i + 1] if i + 1 < len(self.since) else at, at)
            total += rate(load) * max(until - since, 0.0)
        return total


class NodeExporter(Collector):
    """`NodeExporter({"web-1": "web-prod", ...}, origin=t0)`; `with exporter.serve() as target:` ("127.0.0.1:PORT")."""

    def __init__(self, hosts: dict[str, str], *, origin: float, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.hosts = {name: Host(name, group, origin, Load()) for name, group in hosts.items()}
        self.scrapes = 0  # how many times it was collected: a test waits for the next scrape after a flip
        self._lock = threading.Lock()

    def set(self, host: str, load: Load, *, at: float | None = None) -> None:
        with self._lock:
            self.hosts[host].set(load, self.clock() if at is None else at)

    def describe(self) -> Iterable[object]:
        return []  # names are not known ahead: the registry must not collect at registration

    def collect(self) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        with self._lock:
            self.scrapes += 1
            yield from self._families([self.clock()], stamped=False)

    def history(self, start: float, end: float, every: float) -> str:
        """The series at start, start + every, ... < end, timestamped, in OpenMetrics (ends with "# EOF")."""
        instants = [start + i * every for i in range(int((end - start) / every))]
        with self._lock:
            families = list(self._families(instants, stamped=True))
        # Written here, not by prometheus_client's OpenMetrics writer: it escapes every label value one character
        # at a time, seconds for the ~60,000 lines of ten minutes (our values need no escaping).
        lines = []
        for family in families:
            lines.append(f"# TYPE {family.name} {family.type}")
            for sample in family.samples:
                labels = ",".join(f'{k}="{v}"' for k, v in sample.labels.items())
                lines.append(f"{sample.name}{{{labels}}} {sample.value!r} {sample.timestamp!r}")
        return "\n".join([*lines, "# EOF", ""])

    def serve(self) -> _Serving:
        return _Serving(self)

    def _families(
        self, instants: list[float], *, stamped: bool
    ) -> Iterator[CounterMetricFamily | GaugeMetricFamily | HistogramMetricFamily]:
        keys = ["instance", "group", "job"]
        cpu = CounterMetricFamily("node_cpu_seconds", "CPU time.", labels=[*keys, "cpu", "mode"])
        total = GaugeMetricFamily("node_memory_MemTotal_bytes", "Memory.", labels=keys)
        available = GaugeMetricFamily("node_memory_MemAvailable_bytes", "Memory available.", labels=keys)
        requests = CounterMetricFamily("http_requests", "Requests.", labels=[*keys, "code"])
        duration = HistogramMetricFamily("http_request_duration_seconds", "Request time.", labels=keys)
        for at in instants:
            stamp = at if stamped else None
            for host in self.hosts.values():
                key = [host.name, host.group, "node"]
                idle = host.integral(lambda load: 1.0 - load.busy, at)
                user = host.integral(lambda load: load.busy, at)
                for n in CPUS:
                    cpu.add_metric([*key, n, "idle"], idle, timestamp=stamp)
                    cpu.add_metric([*key, n, "user"], user, timestamp=stamp)
                used = host.load(at).memory / 100
                total.add_metric(key, MEMORY_TOTAL, timestamp=stamp)
                available.add_metric(key, MEMORY_TOTAL * (1 - used), timestamp=stamp)
                ok = host.integral(lambda load: load.requests - load.errors, at)
                failed = host.integral(lambda load: load.errors, at)
                requests.add_metric([*key, "200"], ok, timestamp=stamp)
                requests.add_metric([*key, "500"], failed, timestamp=stamp)
                buckets = [(str(b), host.integral(_within(b), at)) for b in BUCKETS]
                count = ok + failed
                spent = host.integral(lambda load: load.requests * load.latency, at)
                duration.add_metric(key, [*buckets, ("+Inf", count)], spent, timestamp=stamp)
        yield from (cpu, total, available, requests, duration)


def _within(bucket: float) -> Callable[[Load], float]:
    """The rate of requests that land in the cumulative bucket `le=bucket`."""
    return lambda load: load.requests if load.latency <= bucket else 0.0


class _Serving:
    """The exporter served by prometheus_client's own HTTP server on a free loopback port."""

    def __init__(self, exporter: NodeExporter) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(exporter)

    def __enter__(self) -> str:
        self._server, self._thread = start_http_server(0, addr="127.0.0.1", registry=self.registry)
        return f"127.0.0.1:{self._server.server_port}"

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
