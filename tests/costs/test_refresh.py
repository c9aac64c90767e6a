"""The cost refresher on the real test Redis, on a clock the test moves: each source is read on its schedule, a
failing one keeps its last good table with the error beside it while the others go on, two refreshers (two worker
processes) never read one source at once, a stopped refresher writes nothing, and a worker-side runtime reads a cold
cache at start."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import redis
from prometheus_client import REGISTRY

from actions.costs.model import CloudForecast, CostTable, CostUnavailable, today_number
from actions.costs.store import CostStore, CostView
from actions.provider import Resource
from actions.simulated.costs import SimulatedCosts
from actions.simulated.inventory import generate_inventory
from bot.runtime import Runtime
from core.settings import Settings
from tests.clock import ManualClock
from tests.eventually import eventually
from workers.cost_refresh import RETRY_SECONDS, CostRefresher

SEED = 5
START = 1_796_000_000.0
EVERY = 3600.0
WORLD: tuple[Resource, ...] = generate_inventory(SEED, 300)


@dataclass
class Billing:
    """A cost source as a cloud's billing API behaves: answers, refuses with a line, raises something unforeseen,
    or holds the caller until released. It bills the simulated world, so its rows are real ones."""

    name: str
    provider: str
    clock: ManualClock
    failure: Exception | None = None
    gate: threading.Event | None = None
    entered: threading.Event = field(default_factory=threading.Event)
    reads: int = 0

    def history(self, first_day: int, last_day: int) -> CostTable:
        self.reads += 1
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10), "the test never released the read"
        if self.failure is not None:
            raise self.failure
        return SimulatedCosts(lambda: WORLD, SEED, clock=self.clock).history(first_day, last_day)

    def forecast(self, today: int) -> CloudForecast | None:
        return CloudForecast(self.provider, 1000.0 + today % 7)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(redis_conn: redis.Redis, clock: ManualClock) -> CostStore:
    return CostStore(redis_conn, "t:costs:", clock=clock)


def _refresher(store: CostStore, *sources: Billing, after: list[CostView] | None = None) -> CostRefresher:
    return CostRefresher(store, list(sources), every_seconds=EVERY, history_days=30, clock=store.clock,
                         after=None if after is None else after.append)  # fmt: skip


def test_a_cold_start_reads_every_source_and_keeps_the_forecast(store: CostStore, clock: ManualClock) -> None:
    aws, azure = Billing("Cost Explorer", "aws", clock), Billing("Azure Cost Management", "azure", clock)
    seen: list[CostView] = []
    view = _refresher(store, aws, azure, after=seen).refresh_now()
    assert view is not None and view.has_data
    assert {s.name: (s.fetched_at, s.error) for s in view.sources} == {
        "Cost Explorer": (START, None), "Azure Cost Management": (START, None),
    }  # fmt: skip
    today = today_number(START)
    assert int(view.table.day.min()) == today - 30 and int(view.table.day.max()) == today  # 30 days + today so far
    assert sorted(f.provider for f in view.forecasts) == ["aws", "azure"]
    assert [v.version for v in seen] == [view.version]  # the alerts' hook saw the fresh view


def test_a_failing_source_keeps_its_last_good_table_and_the_others_go_on(store: CostStore, clock: ManualClock) -> None:
    aws, azure = Billing("Cost Explorer", "aws", clock), Billing("Azure Cost Management", "azure", clock)
    refresher = _refresher(store, aws, azure)
    good = refresher.refresh_now()
    assert good is not None
    before = REGISTRY.get_sample_value("opsbot_cost_refreshes_total", {"source": "Cost Explorer", "outcome": "failed"})
    aws.failure = CostUnavailable("Cost Explorer: AccessDeniedException (ce:GetCostAndUsage not allowed)")
    azure.failure = ValueError("a surprise")
    clock.advance(EVERY)
    refresher.tick()
    view = store.load()
    assert view is not None
    states = {s.name: s for s in view.sources}
    assert states["Cost Explorer"].error == "Cost Explorer: AccessDeniedException (ce:GetCostAndUsage not allowed)"
    assert states["Cost Explorer"].fetched_at == START and states["Cost Explorer"].failed_at == START + EVERY
    assert states["Azure Cost Management"].error is not None
    assert states["Azure Cost Management"].error.startswith("Azure Cost Management: cost read failed: ValueError")
    assert view.table.total() == good.table.total()  # both last good tables, still answering
    after = REGISTRY.get_sample_value("opsbot_cost_refreshes_total", {"source": "Cost Explorer", "outcome": "failed"})
    assert (after or 0) - (before or 0) == 1
    aws.failure = None
    clock.advance(RETRY_SECONDS)  # a failed source is tried again sooner than its period
    refresher.tick()
    recovered = {s.name: s for s in store.states().values()}["Cost Explorer"]
    assert (recovered.error, recovered.fetched_at) == (None, START + EVERY + RETRY_SECONDS)


def test_each_source_is_read_once_per_period(store: CostStore, clock: ManualClock) -> None:
    aws = Billing("Cost Explorer", "aws", clock)
    refresher = _refresher(store, aws)
    refresher.tick()
    refresher.tick()
    assert aws.reads == 1
    clock.advance(EVERY - 1)
    refresher.tick()
    assert aws.reads == 1
    clock.advance(1)
    refresher.tick()
    assert aws.reads == 2


def test_two_refreshers_never_read_one_source_at_once(store: CostStore, clock: ManualClock) -> None:
    gate = threading.Event()
    aws = Billing("Cost Explorer", "aws", clock, gate=gate)
    first, second = _refresher(store, aws), _refresher(store, aws)  # two worker processes, one schedule
    busy = threading.Thread(target=first.tick)
    busy.start()
    assert aws.entered.wait(10)
    second.tick()  # claimed by the first: not due here
    second.refresh_now()  # a cold start beside it: the first holds the source
    assert aws.reads == 1
    gate.set()
    busy.join(10)
    assert aws.reads == 1
    assert store.load() is not None


def test_the_first_read_is_marked_running_until_it_lands(store: CostStore, clock: ManualClock) -> None:
    gate = threading.Event()
    aws = Billing("Cost Explorer", "aws", clock, gate=gate)
    refresher = _refresher(store, aws)
    refresher.start()
    try:
        assert store.load() is None and store.reading()  # the chat: "no cost data yet - the first read is running"
        assert aws.entered.wait(10)
        gate.set()
        eventually(store.load, what="the first read in the cache")
        eventually(lambda: not store.reading(), what="the round marked done")
    finally:
        refresher.stop()


def test_a_stopped_refresher_writes_nothing(store: CostStore, clock: ManualClock) -> None:
    gate = threading.Event()
    aws = Billing("Cost Explorer", "aws", clock, gate=gate)
    refresher = _refresher(store, aws)
    refresher.start()
    assert aws.entered.wait(10)
    refresher.stop(wait_seconds=0)
    gate.set()  # the cloud answers after all
    worker = [t for t in threading.enumerate() if t.name == "cost-refresher"]
    for thread in worker:
        thread.join(10)
    assert store.load() is None


@pytest.fixture
def worker_runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime.build(settings, with_worker=True)
    yield runtime
    runtime.close()


def test_a_runtime_with_a_worker_reads_the_simulated_costs_once_asked(
    worker_runtime: Runtime, redis_conn: redis.Redis
) -> None:
    """A chat process with a worker inside reads no bills nobody asked for; a cost question asks (CostStore.want)."""
    assert worker_runtime.cost_refresher is not None
    store = CostStore(redis_conn)
    assert store.load() is None and not store.reading()
    store.want()
    view = eventually(store.load, what="the simulated cost history in the cache")
    [state] = view.sources
    assert (state.name, state.provider, state.error) == ("simulated", "all", None)
    assert state.rows == len(view.table) > 0


def test_a_refresher_that_reads_on_demand_waits_for_a_question(store: CostStore, clock: ManualClock) -> None:
    aws = Billing("Cost Explorer", "aws", clock)
    refresher = CostRefresher(store, [aws], every_seconds=EVERY, history_days=30, clock=store.clock, read_cold=False)
    refresher.tick()
    assert aws.reads == 0 and store.load() is None
    store.want()
    refresher.tick()
    view = store.load()
    assert aws.reads == 1 and view is not None and view.has_data
    clock.advance(EVERY + 1)
    refresher.tick()  # once read, it keeps the cache fresh like any refresher
    assert aws.reads == 2


@dataclass
class BilledPerRequest(Billing):
    """A source that bills per request and changes rarely asks to be read less often (Cost Explorer: 6 h)."""

    min_refresh_seconds: float = 4 * EVERY


def test_a_source_that_bills_per_request_is_read_no_more_often_than_it_asks(
    store: CostStore, clock: ManualClock
) -> None:
    aws, azure = BilledPerRequest("Cost Explorer", "aws", clock), Billing("Azure Cost Management", "azure", clock)
    refresher = _refresher(store, aws, azure)
    refresher.tick()
    assert (aws.reads, azure.reads) == (1, 1)
    clock.advance(EVERY + 1)
    refresher.tick()
    assert (aws.reads, azure.reads) == (1, 2)
    clock.advance(3 * EVERY)
    refresher.tick()
    assert (aws.reads, azure.reads) == (2, 3)
