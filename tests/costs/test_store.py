"""The cost cache on the real test Redis: nothing read says None (never "$0"), a failed read keeps the last good
table beside its error, sources are concatenated, and a process decodes a table again only when it changed."""

from __future__ import annotations

import numpy as np
import redis

from actions.costs.model import CloudForecast, CostRow, CostTable
from actions.costs.store import CostStore, CostView
from tests.eventually import eventually

DAY = 20_700


def _table(amount: float, provider: str = "aws", service: str = "Amazon EC2", days: int = 3) -> CostTable:
    return CostTable.from_rows(
        CostRow(day=DAY + i, amount=amount, provider=provider, service=service, account=f"{provider}-prod")
        for i in range(days)
    )


def test_nothing_read_yet_is_none_not_zero(redis_conn: redis.Redis) -> None:
    assert CostStore(redis_conn, "t:costs:").load() is None


def test_a_saved_table_comes_back_with_its_state_and_forecast(redis_conn: redis.Redis) -> None:
    store = CostStore(redis_conn, "t:costs:")
    forecast = CloudForecast("aws", 1234.5, low=1100.0, high=1300.0)
    store.save("Cost Explorer", "aws", _table(10.0), fetched_at=1000.0, forecast=forecast)
    view = store.load()
    assert view is not None and view.has_data
    assert view.table.total() == 30.0
    assert view.table.by("service") == {"Amazon EC2": 30.0}
    [state] = view.sources
    assert (state.name, state.provider, state.fetched_at, state.error, state.rows) == (
        "Cost Explorer", "aws", 1000.0, None, 3,
    )  # fmt: skip
    assert view.forecasts == (forecast,)
    assert view.oldest_fetch() == 1000.0


def test_a_failed_read_keeps_the_last_good_table_and_says_why(redis_conn: redis.Redis) -> None:
    store = CostStore(redis_conn, "t:costs:")
    store.save("Cost Explorer", "aws", _table(10.0), fetched_at=1000.0, forecast=CloudForecast("aws", 99.0))
    store.fail("Cost Explorer", "aws", "Cost Explorer: AccessDeniedException", at=5000.0)
    view = store.load()
    assert view is not None
    assert view.table.total() == 30.0  # the last good table, not nothing
    [state] = view.sources
    assert (state.fetched_at, state.error, state.failed_at) == (1000.0, "Cost Explorer: AccessDeniedException", 5000.0)
    assert view.forecasts == (CloudForecast("aws", 99.0),)
    store.save("Cost Explorer", "aws", _table(20.0), fetched_at=6000.0, forecast=None)
    view = store.load()
    assert view is not None and view.table.total() == 60.0
    assert (view.sources[0].error, view.sources[0].fetched_at) == (None, 6000.0)


def test_a_source_that_only_failed_is_listed_without_data(redis_conn: redis.Redis) -> None:
    store = CostStore(redis_conn, "t:costs:")
    store.fail("BigQuery billing export", "gcp", "BigQuery: table not found", at=10.0)
    view = store.load()
    assert view is not None and not view.has_data
    assert len(view.table) == 0 and view.oldest_fetch() is None
    assert view.sources[0].error == "BigQuery: table not found"


def test_sources_are_concatenated_with_their_labels(redis_conn: redis.Redis) -> None:
    store = CostStore(redis_conn, "t:costs:")
    store.save("Cost Explorer", "aws", _table(10.0), fetched_at=1.0, forecast=None)
    store.save("Azure Cost Management", "azure", _table(5.0, "azure", "Virtual Machines"), fetched_at=2.0,
               forecast=CloudForecast("azure", 50.0))  # fmt: skip
    view = store.load()
    assert view is not None
    assert view.table.by("provider") == {"aws": 30.0, "azure": 15.0}
    assert [s.name for s in view.sources] == ["Azure Cost Management", "Cost Explorer"]
    assert view.forecasts == (CloudForecast("azure", 50.0),)


def test_an_unchanged_cache_is_not_decoded_again(redis_conn: redis.Redis) -> None:
    store = CostStore(redis_conn, "t:costs:")
    store.save("Cost Explorer", "aws", _table(10.0), fetched_at=1.0, forecast=None)
    first = store.load()
    assert store.load() is first
    assert CostStore(redis_conn, "t:costs:").load() is first  # another store of the process: the same view
    store.fail("Cost Explorer", "aws", "throttled", at=2.0)
    after_failure = store.load()
    assert after_failure is not first and after_failure is not None and first is not None
    assert after_failure.version != first.version
    assert after_failure.table is first.table  # only the state moved: the rows were not decoded again


def test_a_write_by_another_process_is_seen(redis_conn: redis.Redis) -> None:
    reader, writer = (
        CostStore(redis_conn, "t:costs:"),
        CostStore(redis.Redis(connection_pool=redis_conn.connection_pool), "t:costs:"),
    )
    writer.save("simulated", "all", _table(1.0), fetched_at=1.0, forecast=None)
    assert reader.load() is not None
    writer.save("simulated", "all", _table(2.0), fetched_at=2.0, forecast=None)
    view = reader.load()
    assert view is not None and view.table.total() == 6.0


def test_a_chat_answer_need_not_wait_for_the_new_decode(redis_conn: redis.Redis) -> None:
    store = CostStore(redis_conn, "t:costs:")
    store.save("simulated", "all", _table(1.0), fetched_at=1.0, forecast=None)
    old = store.load()
    store.save("simulated", "all", _table(2.0), fetched_at=2.0, forecast=None)
    assert store.load(fresh=False) is old  # at once: the view this process holds

    def decoded() -> CostView | None:
        view = store.load(fresh=False)
        return view if view is not old else None

    assert eventually(decoded, what="the new data decoded behind").table.total() == 6.0


def test_the_table_survives_the_round_trip_exactly(redis_conn: redis.Redis) -> None:
    rng = np.random.default_rng(1)
    rows = [
        CostRow(day=DAY + int(d), amount=float(a), provider="gcp", service=f"svc{int(d) % 300}", resource=f"r{i}",
                credit=-0.5 if i % 7 == 0 else 0.0)
        for i, (d, a) in enumerate(zip(rng.integers(0, 90, 2000), rng.random(2000) * 100, strict=True))
    ]  # fmt: skip
    table = CostTable.from_rows(rows)
    store = CostStore(redis_conn, "t:costs:")
    store.save("BigQuery billing export", "gcp", table, fetched_at=1.0, forecast=None)
    view = store.load()
    assert view is not None
    assert np.array_equal(view.table.amount, table.amount) and np.array_equal(view.table.credit, table.credit)
    assert view.table.resource.values() == table.resource.values()
    assert view.table.service.values() == table.service.values()  # 300 labels: codes kept wider than a byte


def test_reading_marks_a_round_in_flight(redis_conn: redis.Redis) -> None:
    store = CostStore(redis_conn, "t:costs:")
    assert not store.reading()
    store.mark_reading()
    assert store.reading()
    store.done_reading()
    assert not store.reading()
