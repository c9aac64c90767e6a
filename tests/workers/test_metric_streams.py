"""Live metric streams on the real Redis, with the simulated world's own metrics and a clock the tests move: who
wants a stream, what the poller asks each source, what it publishes, and what a subscriber reads."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import redis

from actions.metrics.aggregate import combine
from actions.metrics.mapping import load_mapping
from actions.metrics.model import Metric, Series, SeriesRequest
from actions.metrics.prometheus import PrometheusSource
from actions.provider import Resource
from actions.simulated.metrics import SimulatedMetrics
from actions.simulated.provider import SimulatedCloud
from core.settings import Settings
from tests.clock import ManualClock
from workers.context import WorkerContext
from workers.metric_poller import StreamPoller, start_poller
from workers.metric_questions import LOOKBACK_STEPS
from workers.metric_streams import StreamKey, StreamPoint, read_new, stream_name, subscribe, want, wanted

START = 1_790_000_000.0  # a whole second, so ticks are easy to name


class CountingSource:
    """The simulated world's metrics, and nothing more than a count of the questions asked."""

    def __init__(self, inner: SimulatedMetrics) -> None:
        self.inner = inner
        self.name = inner.name
        self.requests: list[SeriesRequest] = []

    def covers(self, resource: Resource) -> bool:
        return self.inner.covers(resource)

    def fetch(self, request: SeriesRequest, timeout: float) -> list[Series]:
        self.requests.append(request)
        return self.inner.fetch(request, timeout)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def source(settings: Settings, clock: ManualClock) -> CountingSource:
    return CountingSource(SimulatedMetrics(settings.sim_seed, clock=clock))


@pytest.fixture
def poller(redis_conn: redis.Redis, cloud: SimulatedCloud, source: CountingSource, clock: ManualClock) -> StreamPoller:
    return StreamPoller(redis_conn, cloud, [source], clock=clock)


def entries(connection: redis.Redis, key: StreamKey) -> list[StreamPoint]:
    return [point for _, point in read_new(connection, {key: "0-0"}, block_ms=None)]


def group(cloud: SimulatedCloud, name: str) -> Resource:
    return cloud.get(name)


def members(cloud: SimulatedCloud, name: str) -> list[Resource]:
    grp = group(cloud, name)
    return [r for r in cloud.snapshot().resources if r.kind == "instance" and r.group == grp.name]


def test_a_stream_is_polled_while_wanted_and_forgotten_when_nobody_refreshes_it(
    redis_conn: redis.Redis, cloud: SimulatedCloud, poller: StreamPoller, source: CountingSource, clock: ManualClock
) -> None:
    key = StreamKey(metric=Metric.CPU, scope=group(cloud, "web-prod").id)
    poller.tick()
    assert source.requests == []  # nobody wants anything: nothing is asked

    want(redis_conn, key, ttl_s=5, clock=clock)
    assert wanted(redis_conn, clock=clock) == [key]
    for _ in range(5):
        poller.tick()
        clock.advance(1)
    assert [p.t for p in entries(redis_conn, key)] == [START + i for i in range(5)]

    clock.advance(1)  # past the interest's 5 s, not refreshed
    asked = len(source.requests)
    poller.tick()
    clock.advance(1)
    poller.tick()
    assert len(source.requests) == asked
    assert len(entries(redis_conn, key)) == 5
    assert wanted(redis_conn, clock=clock) == []

    want(redis_conn, key, ttl_s=5, clock=clock)  # wanted again: polled again at once
    poller.tick()
    assert entries(redis_conn, key)[-1].t == clock.now


def test_overlapping_streams_share_one_question_per_source_and_metric(
    redis_conn: redis.Redis, cloud: SimulatedCloud, poller: StreamPoller, source: CountingSource, clock: ManualClock
) -> None:
    web = members(cloud, "web-prod")
    keys = [
        StreamKey(metric=Metric.CPU, scope=group(cloud, "web-prod").id),
        StreamKey(metric=Metric.CPU, scope=web[0].id),  # also a member of web-prod
        StreamKey(metric=Metric.CPU, scope="environment:prod"),  # holds every web-prod member too
        StreamKey(metric=Metric.MEMORY, scope=web[1].id),
    ]
    for key in keys:
        want(redis_conn, key, clock=clock)
    for _ in range(3):
        before = len(source.requests)
        poller.tick()
        clock.advance(1)
        asked = source.requests[before:]
        assert sorted(r.metric.value for r in asked) == ["cpu", "memory"]  # one question per metric per tick
        cpu = next(r for r in asked if r.metric is Metric.CPU)
        ids = [r.id for r in cpu.resources]
        assert len(ids) == len(set(ids))  # a series watched by three streams is asked for once
        prod = [r for r in cloud.snapshot().resources if r.kind == "instance" and r.environment == "prod"]
        assert set(ids) == {r.id for r in prod}
    assert all(len(entries(redis_conn, key)) == 3 for key in keys)


def test_a_group_entry_is_the_combined_value_of_its_members(
    redis_conn: redis.Redis, cloud: SimulatedCloud, poller: StreamPoller, settings: Settings, clock: ManualClock
) -> None:
    key = StreamKey(metric=Metric.LATENCY_P99, scope=group(cloud, "web-prod").id)
    want(redis_conn, key, clock=clock)
    clock.advance(0.4)  # a tick polled a little after its second
    poller.tick()
    [point] = entries(redis_conn, key)

    web = members(cloud, "web-prod")
    request = SeriesRequest(metric=Metric.LATENCY_P99, resources=tuple(web), start=clock.now - LOOKBACK_STEPS,
                            end=clock.now, step=1)  # fmt: skip
    series = SimulatedMetrics(settings.sim_seed, clock=clock).fetch(request, 1.0)
    assert point.t == START
    assert point.source_t == START  # the source's newest point, whole seconds
    assert point.n == len(series) == len([m for m in web if m.state != "stopped"])
    assert point.avg == dict(combine(series, "avg"))[START]
    assert point.max == dict(combine(series, "max"))[START]
    assert point.problem is None


def test_two_pollers_never_publish_the_same_tick_twice(
    redis_conn: redis.Redis, cloud: SimulatedCloud, source: CountingSource, clock: ManualClock
) -> None:
    keys = [StreamKey(metric=Metric.CPU, scope=m.id) for m in members(cloud, "worker-prod")]
    first, second = (StreamPoller(redis_conn, cloud, [source], clock=clock) for _ in range(2))
    for key in keys:
        want(redis_conn, key, ttl_s=3600, clock=clock)
    for _ in range(5):  # both poll every tick: each stream goes to one of them
        first.tick()
        second.tick()
        clock.advance(1)
    assert first.published + second.published == 5 * len(keys)

    # A poller so slow that its lease runs out: the other claims the same streams and publishes a later tick first.
    class Stalling(CountingSource):
        def fetch(self, request: SeriesRequest, timeout: float) -> list[Series]:
            clock.advance(11)
            second.tick()
            return super().fetch(request, timeout)

    slow = StreamPoller(redis_conn, cloud, [Stalling(source.inner)], clock=clock)
    slow.tick()
    assert slow.published == 0 and slow.refused == len(keys)  # its tick came too late: Redis refused it
    for key in keys:
        ids = [p.id for p in entries(redis_conn, key)]
        assert len(ids) == len(set(ids)) == 6


def test_subscribe_reads_new_entries_and_resumes_after_a_given_id(
    redis_conn: redis.Redis, cloud: SimulatedCloud, poller: StreamPoller, clock: ManualClock
) -> None:
    one, two = (StreamKey(metric=Metric.CPU, scope=m.id) for m in members(cloud, "api-prod")[:2])
    for key in (one, two):
        want(redis_conn, key, clock=clock)
    poller.tick()
    clock.advance(1)

    reader = subscribe(redis_conn, [one, two], block_ms=100)  # from now: what was there is not read
    poller.tick()
    got = [next(reader), next(reader)]
    assert sorted((k.scope, p.t) for k, p in got) == sorted([(one.scope, START + 1), (two.scope, START + 1)])
    reader.close()

    seen = entries(redis_conn, one)[0].id  # a dashboard that saw only the first entry reconnects
    clock.advance(1)
    poller.tick()
    resumed = subscribe(redis_conn, [one], {one: seen}, block_ms=100)
    assert [next(resumed)[1].t, next(resumed)[1].t] == [START + 1, START + 2]
    resumed.close()


@pytest.fixture
def dead_prometheus() -> Iterator[PrometheusSource]:
    with socket.socket() as sock:  # a port nothing listens on: connections are refused at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    prometheus = PrometheusSource(f"http://127.0.0.1:{port}", load_mapping().prometheus)
    yield prometheus
    prometheus.close()


def test_a_source_that_fails_gives_problem_entries_and_is_asked_again_after_a_backoff(
    redis_conn: redis.Redis, cloud: SimulatedCloud, dead_prometheus: PrometheusSource, clock: ManualClock
) -> None:
    # Asked every second when it answers (Prometheus's own resolution is 15 s), to show the backoff.
    poller = StreamPoller(redis_conn, cloud, [dead_prometheus], clock=clock, resolutions={"Prometheus": 1.0})
    key = StreamKey(metric=Metric.CPU, scope=group(cloud, "web-prod").id)
    want(redis_conn, key, clock=clock)
    poller.tick()
    [point] = entries(redis_conn, key)
    assert point.avg is None and point.n == 0
    assert point.problem is not None and point.problem.startswith("Prometheus did not answer")

    for _ in range(15):  # the first backoff is 2 s, then 4 s, then 8 s: asked at 0, 2, 6 and 14
        clock.advance(1)
        poller.tick()
    assert poller.fetches["Prometheus"] == 4
    assert [p.t - START for p in entries(redis_conn, key)] == [0, 2, 6, 14]
    assert stream_name(key).startswith("opsbot:mstream:cpu:")


def test_a_scope_that_names_nothing_says_so(redis_conn: redis.Redis, poller: StreamPoller, clock: ManualClock) -> None:
    for scope, line in [("aws:nowhere:i-0", "no resource aws:nowhere:i-0"),
                        ("provider:oracle", "no provider oracle (aws, azure or gcp)")]:  # fmt: skip
        key = StreamKey(metric=Metric.CPU, scope=scope)
        want(redis_conn, key, clock=clock)
        poller.tick()
        assert [p.problem for p in entries(redis_conn, key)] == [line]
    with pytest.raises(ValueError, match="not a metric stream: 'disk:x'"):
        StreamKey.parse("disk:x")


def test_a_worker_process_polls_what_is_wanted_on_its_own_thread(ctx: WorkerContext, redis_conn: redis.Redis) -> None:
    key = StreamKey(metric=Metric.CPU, scope=ctx.provider.get("web-prod").id)
    reader = subscribe(redis_conn, [key], block_ms=500)
    poller = start_poller(ctx)  # as `opsbot worker` starts it, over the configured sources (the simulated world)
    try:
        want(redis_conn, key)  # wakes the poller: the stream is due at once
        got, point = next(reader)
    finally:
        poller.stop()
        reader.close()
    assert got == key
    assert point.problem is None and point.n > 0 and point.avg is not None and point.max is not None
