"""The metrics reader against real Redis, the simulated source and a real PrometheusSource at loopback sockets: one
fetch shared by every reader through the cache, each resource from the first source that has it, and a read that
ends at its deadline with what answered."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest
import redis
from prometheus_client import REGISTRY
from redis.backoff import NoBackoff
from redis.retry import Retry

from actions.metrics.mapping import load_mapping
from actions.metrics.model import Metric
from actions.metrics.prometheus import PrometheusSource
from actions.metrics.reader import KEY_PREFIX, MetricsReader, Reading
from actions.provider import Resource
from actions.simulated.metrics import SimulatedMetrics
from actions.simulated.world import WorldView, base_view
from tests.clock import ManualClock
from tests.eventually import eventually
from tests.loopback_http import Answer, LoopbackHttp

SEED = 42
NOW = 1_796_000_000.0
HOUR = 3600.0
EMPTY = {"status": "success", "data": {"resultType": "matrix", "result": []}}


@pytest.fixture(scope="module")
def world() -> WorldView:
    return base_view(SEED, 2_000)


@pytest.fixture(scope="module")
def hanging_port() -> Iterator[int]:
    """A listening socket that never answers: the kernel accepts connections, nobody reads them."""
    with socket.socket() as hanging:
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(64)
        yield hanging.getsockname()[1]


@pytest.fixture(scope="module")
def empty_prometheus() -> Iterator[LoopbackHttp]:
    """A Prometheus that knows none of the resources: every range query answers an empty matrix."""
    with LoopbackHttp(lambda _r: Answer(200, json.dumps(EMPTY).encode(), "application/json")) as server:
        yield server


def prometheus(url: str) -> PrometheusSource:
    return PrometheusSource(url, load_mapping().prometheus)


def simulated() -> SimulatedMetrics:
    return SimulatedMetrics(SEED, clock=ManualClock(NOW))


def reader(*sources: object, connection: redis.Redis | None = None) -> MetricsReader:
    return MetricsReader(sources or (simulated(),), connection, clock=ManualClock(NOW))  # type: ignore[arg-type]


def web_prod(world: WorldView) -> list[Resource]:
    group = world.find("web-prod")
    return [group, *world.members_of(group)]


def fetches(source: str) -> float:
    return REGISTRY.get_sample_value("opsbot_metric_fetches_total", {"source": source}) or 0.0


def hits() -> float:
    return REGISTRY.get_sample_value("opsbot_metric_cache_hits_total") or 0.0


def test_a_group_is_read_as_its_members(world: WorldView) -> None:
    reading = reader().read(Metric.CPU, web_prod(world), NOW - 6 * HOUR, NOW, deadline=3)
    members = world.members_of(world.find("web-prod"))
    assert [s.resource_name for s in reading.series] == [m.name for m in members]
    assert (reading.sources, reading.missing, reading.problems, reading.cached) == (("simulated",), (), (), False)
    assert reading.step == 60 and reading.fetched_at == NOW and reading.end <= NOW


def test_a_group_handed_without_its_members_is_read_itself(world: WorldView) -> None:
    reading = reader().read(Metric.CPU, [world.find("web-prod"), world.find("web-dr")], NOW - HOUR, NOW, deadline=3)
    assert [s.resource_name for s in reading.series] == ["web-prod"]
    assert reading.missing == ("web-dr",)  # a standby group of no instances has no data


def test_two_readers_share_one_fetch_through_redis(world: WorldView, redis_conn: redis.Redis) -> None:
    before_fetches, before_hits = fetches("simulated"), hits()
    first = reader(connection=redis_conn).read(Metric.MEMORY, web_prod(world), NOW - 6 * HOUR, NOW, deadline=3)
    # Another reader (another process would do the same), a little later, within the same step.
    later = MetricsReader([simulated()], redis_conn, clock=ManualClock(NOW + 20))
    second = later.read(Metric.MEMORY, web_prod(world), NOW - 6 * HOUR + 20, NOW + 20, deadline=3)
    assert second.cached and not first.cached
    assert second.series == first.series and second.fetched_at == first.fetched_at
    assert fetches("simulated") == before_fetches + 1 and hits() == before_hits + 1
    (key,) = redis_conn.keys(f"{KEY_PREFIX}*")
    assert 55 <= redis_conn.ttl(key) <= 60  # one step


def test_another_metric_or_another_step_is_another_fetch(world: WorldView, redis_conn: redis.Redis) -> None:
    shared = reader(connection=redis_conn)
    shared.read(Metric.CPU, web_prod(world), NOW - HOUR, NOW, deadline=3)
    assert not shared.read(Metric.MEMORY, web_prod(world), NOW - HOUR, NOW, deadline=3).cached
    assert not shared.read(Metric.CPU, web_prod(world), NOW - HOUR, NOW, step=300, deadline=3).cached
    assert shared.read(Metric.CPU, list(reversed(web_prod(world))), NOW - HOUR, NOW, deadline=3).cached


def test_latest_is_the_last_five_minutes_at_15_seconds_kept_15_seconds(
    world: WorldView, redis_conn: redis.Redis
) -> None:
    reading = reader(connection=redis_conn).latest(Metric.CPU, web_prod(world), deadline=3)
    assert reading.step == 15 and NOW - 315 < reading.start <= NOW - 300
    assert all(NOW - 315 < t <= NOW for s in reading.series for t, _ in s.points)
    (key,) = redis_conn.keys(f"{KEY_PREFIX}*")
    assert 10 <= redis_conn.ttl(key) <= 15


def test_redis_down_reads_without_the_cache(world: WorldView, caplog: pytest.LogCaptureFixture) -> None:
    closed = redis.Redis(port=_closed_port(), retry=Retry(NoBackoff(), 0))  # refused at once, no retries
    down = reader(connection=closed)
    for _ in range(2):  # the second read does not try Redis again
        reading = down.read(Metric.CPU, web_prod(world), NOW - HOUR, NOW, deadline=3)
        assert len(reading.series) == 12 and not reading.cached and reading.problems == ()
    assert [r.message for r in caplog.records] == [
        "metrics cache unavailable, reading without it for 10 s: ConnectionError"
    ]


def test_what_prometheus_has_no_data_for_comes_from_the_next_source(
    world: WorldView, empty_prometheus: LoopbackHttp
) -> None:
    asked = len(empty_prometheus.requests)
    reading = reader(prometheus(empty_prometheus.url), simulated()).read(
        Metric.CPU, web_prod(world), NOW - HOUR, NOW, deadline=3
    )
    assert len(empty_prometheus.requests) == asked + 1  # one query for the whole group
    assert (len(reading.series), reading.sources, reading.problems, reading.missing) == (12, ("simulated",), (), ())


def test_an_unreachable_source_is_a_problem_line_and_the_next_source_answers(world: WorldView) -> None:
    reading = reader(prometheus(f"http://127.0.0.1:{_closed_port()}"), simulated()).read(
        Metric.CPU, web_prod(world), NOW - HOUR, NOW, deadline=3
    )
    assert len(reading.series) == 12 and reading.sources == ("simulated",)
    (problem,) = reading.problems
    assert problem.startswith("Prometheus did not answer: ")


def test_at_the_deadline_what_answered_is_used_and_the_slow_source_named(world: WorldView, hanging_port: int) -> None:
    database = next(r for r in world.resources if r.kind == "database" and r.state != "stopped")
    members = world.members_of(world.find("web-prod"))
    # Prometheus covers instances (it hangs); only the simulated source covers databases: both asked at once.
    reading = reader(prometheus(f"http://127.0.0.1:{hanging_port}"), simulated()).read(
        Metric.CPU, [*members, database], NOW - HOUR, NOW, deadline=0.5
    )
    assert [s.resource_name for s in reading.series] == [database.name]
    assert reading.sources == ("simulated",)
    assert reading.missing == tuple(m.name for m in members)
    assert reading.problems == ("Prometheus did not answer in 0.5 s",)


def test_a_reader_waits_for_the_fetch_another_has_in_flight(
    world: WorldView, redis_conn: redis.Redis, hanging_port: int
) -> None:
    members = list(world.members_of(world.find("web-prod")))
    slow = prometheus(f"http://127.0.0.1:{hanging_port}")
    before = fetches("Prometheus")
    first: list[Reading] = []
    thread = threading.Thread(
        target=lambda: first.append(
            reader(slow, connection=redis_conn).read(Metric.CPU, members, NOW - HOUR, NOW, deadline=0.6)
        )
    )
    thread.start()
    eventually(lambda: bool(redis_conn.keys(f"{KEY_PREFIX}*:fetching")))
    second = reader(slow, connection=redis_conn).read(Metric.CPU, members, NOW - HOUR, NOW, deadline=5)
    thread.join()
    assert second.cached and second.problems == first[0].problems == ("Prometheus did not answer in 0.6 s",)
    assert fetches("Prometheus") == before + 1
    (key,) = redis_conn.keys(f"{KEY_PREFIX}*")
    assert redis_conn.ttl(key) <= 5  # a reading with a problem is shared briefly only


def test_a_range_that_ends_before_it_starts_is_refused(world: WorldView) -> None:
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        reader().read(Metric.CPU, web_prod(world), NOW, NOW - HOUR, deadline=3)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
