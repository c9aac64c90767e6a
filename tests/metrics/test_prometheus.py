"""The Prometheus metrics source against a REAL Prometheus (Debian's binary, fakes.prometheus) scraping, every
200 ms, an exporter this module serves (tests.metrics.exporter): ten minutes of the same series written into its
TSDB before it starts, then live scrapes while the test flips values.

Why the history: `rate(x[1m])` divides by the whole minute, so on a Prometheus started a moment ago every rate is
a fraction of the truth and every host looks busy. The rates and quantiles asserted come from windows wholly
within the history, where they are exact; the live scrapes are asserted through a gauge, exact as well.

The exporter labels each series `instance` (the host's name, e.g. web-1) and `group` itself, one exporter for many
hosts: Prometheus scrapes it with `honor_labels: true` so those labels are kept as served, rather than a relabel
per target (that would need a target per host). The mapping's `instance` label is then what opsbot names a host."""

from __future__ import annotations

import itertools
import json
import math
import shutil
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from actions.metrics.mapping import PromMapping, load_mapping
from actions.metrics.model import Metric, MetricsUnavailable, Series, SeriesRequest
from actions.metrics.prometheus import PrometheusSource, duration, fitted_step
from actions.provider import Resource
from core.models import Cloud
from fakes.prometheus import MISSING, Prometheus
from tests.eventually import eventually
from tests.loopback_http import Answer, LoopbackHttp
from tests.metrics.exporter import Load, NodeExporter, expected_quantile

if shutil.which("prometheus") is None or shutil.which("promtool") is None:
    pytest.skip(MISSING, allow_module_level=True)

HOSTS = {"web-1": "web-prod", "web-2": "web-prod", "web-3": "web-prod", "db-1": "db-prod"}
HISTORY = 600.0  # seconds of the past written into the TSDB, from `origin` to the start
FLIP = 300.0  # seconds after the origin when db-1 got busy and began to serve requests
# Points whose 4-minute rate windows (a 60 s step) lie wholly within the history: the values there are exact.
WHOLE = (300.0, 540.0)  # seconds after the origin


class World:
    def __init__(self, prometheus: Prometheus, exporter: NodeExporter, origin: float, started: float) -> None:
        self.prometheus, self.exporter, self.origin, self.started = prometheus, exporter, origin, started
        self.whole = (self.origin + WHOLE[0], self.origin + WHOLE[1])
        self.source = PrometheusSource(prometheus.url, load_mapping().prometheus)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    started = time.time()  # the exporter's counters run on the wall clock: Prometheus stamps its scrapes with it
    origin = math.floor(started) - HISTORY  # whole seconds: the points' times are the ones the test names
    exporter = NodeExporter(HOSTS, origin=origin)
    exporter.set("web-1", Load(busy=0.0, memory=40.0, latency=0.2), at=origin)
    exporter.set("web-2", Load(busy=1.0, memory=90.0, errors=2.0, latency=0.7), at=origin)
    exporter.set("web-3", Load(busy=0.25, memory=60.0, latency=0.03), at=origin)
    exporter.set("db-1", Load(busy=0.0, memory=70.0, requests=0.0), at=origin)
    exporter.set("db-1", Load(busy=0.5, memory=70.0, requests=5.0, latency=0.2), at=origin + FLIP)
    history = exporter.history(origin, origin + HISTORY, 1.0)  # up to a second before the live scrapes
    prom_dir = tmp_path_factory.mktemp("prom")
    with exporter.serve() as target, Prometheus([target], tmp_path=prom_dir, honor_labels=True, history=history) as p:
        world = World(p, exporter, origin, started)
        yield world
        world.source.close()


def resource(name: str, kind: str = "instance") -> Resource:
    return Resource(
        id=f"aws:us-east-1:{kind}/{name}", name=name, cloud=Cloud.AWS, kind=kind, region="us-east-1",
        environment="prod", state="running", size="m5.large", hourly_cost=0.1,
    )  # fmt: skip


def ask(
    source: PrometheusSource, metric: Metric, *names: str, span: tuple[float, float], step: int = 60, kind: str = ""
) -> dict[str, Series]:
    """The source's answer by resource name. A name "group:x" asks about the group x."""
    resources = tuple(resource(n.split(":")[-1], "group" if n.startswith("group:") else kind or "instance")
                      for n in names)  # fmt: skip
    request = SeriesRequest(metric=metric, resources=resources, start=span[0], end=span[1], step=step)
    return {s.resource_name: s for s in source.fetch(request, timeout=10.0)}


def values(series: Series) -> list[float]:
    return [v for _t, v in series.points]


def test_a_group_gives_one_series_per_member_with_what_the_exporter_served(world: World) -> None:
    answer = ask(world.source, Metric.CPU, "group:web-prod", "web-1", span=world.whole)
    assert list(answer) == ["web-1", "web-2", "web-3"]  # the one asked about first, then the other members
    assert answer["web-1"].resource_id == "aws:us-east-1:instance/web-1"
    assert answer["web-2"].resource_id == "prometheus:web-2"  # a member the request did not list
    assert values(answer["web-1"]) == pytest.approx([0.0] * 5, abs=0.01)  # only idle counted
    assert values(answer["web-2"]) == pytest.approx([100.0] * 5, abs=0.01)  # never idle
    assert values(answer["web-3"]) == pytest.approx([25.0] * 5, abs=0.01)
    times = [t for t, _v in answer["web-1"].points]
    assert times == [world.whole[0] + 60 * i for i in range(5)]


def test_instances_by_name_and_a_missing_one_has_no_series(world: World) -> None:
    answer = ask(world.source, Metric.MEMORY, "web-3", "ghost-9", "web-2", span=world.whole)
    assert list(answer) == ["web-3", "web-2"]
    assert values(answer["web-3"]) == pytest.approx([60.0] * 5)
    assert values(answer["web-2"]) == pytest.approx([90.0] * 5)


def test_a_deadline_of_a_fraction_of_a_second_is_a_timeout_prometheus_accepts(world: World) -> None:
    """What is left of a chat question's deadline is rarely whole seconds; Prometheus refuses "2.9s"."""
    request = SeriesRequest(
        metric=Metric.MEMORY, resources=(resource("web-3"),), start=world.whole[0], end=world.whole[1], step=60
    )
    (series,) = world.source.fetch(request, timeout=2.9)
    assert values(series) == pytest.approx([60.0] * 5)


def test_a_name_is_matched_exactly_not_as_a_regex(world: World) -> None:
    now = time.time()
    assert ask(world.source, Metric.CPU, "web.1", span=(now - 300, now)) == {}  # "." would match web-1
    assert ask(world.source, Metric.CPU, "group:web", span=(now - 300, now)) == {}  # anchored: not web-prod


def test_a_load_balancer_is_matched_by_the_instance_label(world: World) -> None:
    answer = ask(world.source, Metric.REQUESTS, "web-3", span=world.whole, kind="load_balancer")
    assert answer["web-3"].resource_id == "aws:us-east-1:load_balancer/web-3"
    assert values(answer["web-3"]) == pytest.approx([10.0] * 5)
    assert world.source.covers(resource("web-3", "load_balancer"))
    assert not world.source.covers(resource("data", "disk"))


def test_rates_and_quantiles_are_what_the_exporter_served(world: World) -> None:
    errors = ask(world.source, Metric.ERRORS, "group:web-prod", span=world.whole)
    assert values(errors["web-2"]) == pytest.approx([2.0] * 5)
    assert values(errors["web-1"]) == pytest.approx([0.0] * 5)
    requests = ask(world.source, Metric.REQUESTS, "group:web-prod", span=world.whole)
    assert values(requests["web-2"]) == pytest.approx([10.0] * 5)
    p99 = ask(world.source, Metric.LATENCY_P99, "group:web-prod", span=world.whole)
    for host, latency in (("web-1", 0.2), ("web-2", 0.7), ("web-3", 0.03)):
        assert values(p99[host]) == pytest.approx([expected_quantile(0.99, latency)] * 5)
    p50 = ask(world.source, Metric.LATENCY_P50, "web-2", span=world.whole)
    assert values(p50["web-2"]) == pytest.approx([expected_quantile(0.5, 0.7)] * 5)


def test_a_flip_in_the_past_shows_as_the_change_and_nan_is_a_gap(world: World) -> None:
    start, end = world.origin + 75, world.origin + WHOLE[1]  # at a 15 s step, one-minute windows
    cpu = ask(world.source, Metric.CPU, "db-1", span=(start, end), step=15)["db-1"]
    flip = world.origin + FLIP
    before = [v for t, v in cpu.points if t <= flip]
    after = [v for t, v in cpu.points if t >= flip + 60]  # the window wholly after the flip
    assert before == pytest.approx([0.0] * 16, abs=0.01)
    assert after == pytest.approx([50.0] * 13, abs=0.01)
    # db-1 served no requests before the flip: its p99 there is NaN, left out; after it, its requests' bucket.
    p99 = ask(world.source, Metric.LATENCY_P99, "db-1", span=(start, end))["db-1"]
    assert min(t for t, _v in p99.points) > flip
    assert values(p99) == pytest.approx([expected_quantile(0.99, 0.2)] * len(p99.points))
    # Before the flip, only NaN: no series at all, as for a host Prometheus does not know.
    assert ask(world.source, Metric.LATENCY_P99, "db-1", span=(start, flip)) == {}


def test_a_live_flip_shows_once_prometheus_has_scraped_it(world: World) -> None:
    # Prometheus 2.42 applies its scrape targets about 5 s after it starts (its discovery manager's fixed
    # interval): this test waits for that first scrape; the others read the history and need no scrape at all.
    flipped = time.time()
    world.exporter.set("db-1", Load(busy=0.5, memory=20.0, requests=5.0, latency=0.2))

    def memory() -> Series | None:
        now = time.time()
        series = ask(world.source, Metric.MEMORY, "db-1", span=(flipped - 10, now), step=1).get("db-1")
        return series if series is not None and series.points[-1][1] == pytest.approx(20.0) else None

    series = eventually(memory, what="db-1's memory at 20% in Prometheus")
    shown = values(series)
    assert shown[0] == pytest.approx(70.0)
    turn = shown.index(next(v for v in shown if v != pytest.approx(70.0)))
    assert shown[turn:] == pytest.approx([20.0] * (len(shown) - turn))


def test_the_step_is_raised_to_stay_under_11000_points(world: World) -> None:
    end = time.time()
    start = end - 30 * 86400  # 172,800 points at 15 s: Prometheus refuses more than 11,000
    answer = ask(world.source, Metric.CPU, "web-2", span=(start, end), step=15)
    times = [t for t, _v in answer["web-2"].points]
    assert {b - a for a, b in itertools.pairwise(times)} == {236.0}  # ceil(2,592,000 / 11,000)
    assert fitted_step(start, end, 15) == 236 and fitted_step(0, 3600, 15) == 15
    assert (duration(60), duration(240), duration(7200), duration(944)) == ("1m", "4m", "2h", "944s")


def test_several_threads_share_one_source(world: World) -> None:
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _i: ask(world.source, Metric.MEMORY, "web-1", span=world.whole), range(16)))
    assert all(values(a["web-1"]) == pytest.approx([40.0] * 5) for a in answers)


def test_a_metric_without_a_query_is_said_so(world: World) -> None:
    source = PrometheusSource(world.prometheus.url, PromMapping(queries={Metric.CPU: "up"}))
    with pytest.raises(MetricsUnavailable) as raised:
        ask(source, Metric.LATENCY_P99, "web-1", span=(world.started - 60, world.started))
    assert str(raised.value) == "Prometheus has no query for p99 latency (metrics mapping)"
    source.close()


def test_a_query_prometheus_refuses_names_its_error(world: World) -> None:
    bad = {Metric.CPU: "rate(node_cpu_seconds_total{$selector}[$window]", Metric.MEMORY: "label_replace("
           'node_memory_MemTotal_bytes{$selector}, "instance", "same", "", "")'}  # fmt: skip
    source = PrometheusSource(world.prometheus.url, PromMapping(queries=bad))
    with pytest.raises(MetricsUnavailable) as parse:
        ask(source, Metric.CPU, "web-1", span=(world.started - 60, world.started))
    line = str(parse.value)
    assert line.startswith("Prometheus refused the query: ") and "parse error" in line
    assert len(line) <= len("Prometheus refused the query: ") + 120 and "\n" not in line
    with pytest.raises(MetricsUnavailable) as execution:  # two hosts relabelled alike: a query that cannot run
        ask(source, Metric.MEMORY, "web-1", "web-2", span=(world.started - 60, world.started))
    assert str(execution.value).startswith("Prometheus refused the query: ")
    assert "same labelset" in str(execution.value)
    source.close()


def test_infinite_values_are_gaps(world: World) -> None:
    source = PrometheusSource(world.prometheus.url, PromMapping(queries={Metric.MEMORY: "node_memory_MemTotal_bytes"
                              "{$selector} / 0"}))  # fmt: skip
    assert ask(source, Metric.MEMORY, "web-1", span=(world.started - 60, world.started)) == {}
    source.close()


@pytest.fixture(scope="module")
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_prometheus_did_not_answer(closed_port: int) -> None:
    source = PrometheusSource(f"http://127.0.0.1:{closed_port}", load_mapping().prometheus)
    with pytest.raises(MetricsUnavailable) as raised:
        source.fetch(_request(), timeout=3.0)
    source.close()
    assert str(raised.value) == "Prometheus did not answer: Connection refused"


def test_a_prometheus_that_hangs_did_not_answer_in_the_timeout() -> None:
    with socket.socket() as hanging:  # listening: the kernel accepts the connection, nothing ever answers
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(8)
        source = PrometheusSource(f"http://127.0.0.1:{hanging.getsockname()[1]}", load_mapping().prometheus)
        with pytest.raises(MetricsUnavailable) as raised:
            source.fetch(_request(), timeout=0.3)
        source.close()
    assert str(raised.value) == "Prometheus did not answer in 0.3 s"


@pytest.mark.parametrize(
    ("answer", "line"),
    [
        (Answer(502, b"<html>Bad Gateway</html>", "text/html"), "Prometheus answered HTTP 502 without JSON"),
        (Answer(200, b"ok", "text/plain"), "Prometheus answered HTTP 200 without JSON"),
        (  # what Prometheus answers when its own -query.timeout (or our `timeout` form field) runs out
            Answer(503, json.dumps({"status": "error", "errorType": "timeout",
                                    "error": "query timed out in expression evaluation"}).encode(),
                   "application/json"),
            "Prometheus did not answer in 3 s: query timed out in expression evaluation",
        ),
        (Answer(200, b'{"status": "success", "data": {"resultType": "vector", "result": []}}', "application/json"),
         "Prometheus answered without a range of values"),
        (Answer(200, b'{"status": "success", "data": {"resultType": "matrix", "result": [1]}}', "application/json"),
         "Prometheus answered without a range of values"),
    ],
)  # fmt: skip
def test_what_is_not_a_prometheus_answer_is_one_line(answer: Answer, line: str) -> None:
    with LoopbackHttp(lambda _request: answer) as server:
        source = PrometheusSource(server.url + "/prom/", load_mapping().prometheus)
        with pytest.raises(MetricsUnavailable) as raised:
            source.fetch(_request(), timeout=3.0)
        source.close()
    assert str(raised.value) == line
    sent = server.requests[0]
    assert (sent.method, sent.path) == ("POST", "/prom/api/v1/query_range")  # a path prefix is kept (a proxy)
    form = httpx.QueryParams(sent.body.decode())
    assert form["query"] == (
        '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle", instance=~"web-1|web\\\\.2"}[4m])))'
    )
    assert (form["step"], form["timeout"]) == ("60", "3s")


def _request() -> SeriesRequest:
    return SeriesRequest(metric=Metric.CPU, resources=(resource("web-1"), resource("web.2")), start=0, end=600,
                         step=60)  # fmt: skip


def test_nothing_is_asked_about_resources_it_does_not_cover() -> None:
    source = PrometheusSource("http://127.0.0.1:9", load_mapping().prometheus)  # would refuse if asked
    request = SeriesRequest(metric=Metric.CPU, resources=(resource("data", "disk"),), start=0, end=60, step=15)
    assert source.fetch(request, timeout=1.0) == []
    source.close()
