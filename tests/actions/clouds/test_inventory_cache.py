"""The inventory cache in Redis and its chat-side reader: what workers write is what status shows, with each
source's age and error; status waits for fresher data at most its deadline."""

from __future__ import annotations

import threading

import redis

from actions.backend import Scope
from actions.inventory.reader import CachedInventory
from actions.inventory.store import InventoryStore
from actions.provider import Billing, Resource
from core.models import Cloud
from tests.clock import ManualClock
from tests.eventually import eventually

AWS = Scope(cloud=Cloud.AWS, account="prod", region="us-east-1", label="AWS prod us-east-1")
AZURE = Scope(cloud=Cloud.AZURE, account="sub-1", region="*", label="Azure sub-1")


def _vm(scope: Scope, name: str, state: str = "running") -> Resource:
    return Resource(
        id=f"{scope.key}:{name}", name=name, cloud=scope.cloud, kind="instance", region="us-east-1",
        environment="prod", state=state, size="m5.large", hourly_cost=0.096,
    )  # fmt: skip


def test_saved_resources_come_back_with_their_source_health(redis_conn: redis.Redis) -> None:
    store = InventoryStore(redis_conn)
    store.register([AWS, AZURE])
    store.save(AWS, [_vm(AWS, "web-1"), _vm(AWS, "web-2", "stopped")])
    store.fail(AZURE, "Azure: credentials refused for subscription sub-1 - check az login")
    snap = CachedInventory(store).snapshot()
    assert sorted(r.name for r in snap.resources) == ["web-1", "web-2"]
    health = {s.label: s for s in snap.sources}
    assert health["AWS prod us-east-1"].error is None and health["AWS prod us-east-1"].resources == 2
    assert health["Azure sub-1"].fetched_at is None
    assert health["Azure sub-1"].error == "Azure: credentials refused for subscription sub-1 - check az login"
    assert snap.error is not None and snap.error.startswith("Azure sub-1: Azure: credentials refused")


def test_a_failure_keeps_the_last_good_data_and_when_failures_began(redis_conn: redis.Redis) -> None:
    store = InventoryStore(redis_conn)
    store.save(AWS, [_vm(AWS, "web-1")])
    first = store.fail(AWS, "AWS is throttling")
    second = store.fail(AWS, "AWS did not answer")
    assert second.error_since == first.error_since and second.fetched_at is not None
    assert [r.name for r in store.load(AWS.key)] == ["web-1"]
    recovered = store.save(AWS, [_vm(AWS, "web-1")])
    assert recovered.error is None and recovered.error_since is None


def test_unchanged_data_keeps_the_same_resources_tuple(redis_conn: redis.Redis) -> None:
    """Caches keyed on the tuple (search index, status memo) survive a refresh that changed nothing."""
    store = InventoryStore(redis_conn)
    store.save(AWS, [_vm(AWS, "web-1")])
    reader = CachedInventory(store)
    before = reader.snapshot().resources
    store.save(AWS, [_vm(AWS, "web-1")])  # same content: new version, same digest
    reader.freshen(max_age=3600, deadline=0.1)
    assert reader.snapshot().resources is before
    store.save(AWS, [_vm(AWS, "web-1"), _vm(AWS, "web-3")])
    reader.freshen(max_age=3600, deadline=0.1)
    assert [r.name for r in reader.snapshot().resources] == ["web-1", "web-3"]


def test_a_new_version_is_loaded_in_the_background(redis_conn: redis.Redis) -> None:
    store = InventoryStore(redis_conn)
    store.save(AWS, [_vm(AWS, "web-1")])
    seen: list[int] = []
    reader = CachedInventory(store, on_new=lambda resources: seen.append(len(resources)))
    assert len(reader.snapshot().resources) == 1
    store.save(AWS, [_vm(AWS, "web-1"), _vm(AWS, "web-2")])
    eventually(lambda: len(reader.snapshot().resources) == 2, what="the new version loaded")
    assert seen == [1, 2]


def test_upsert_shows_an_action_result_before_the_next_refresh(redis_conn: redis.Redis) -> None:
    store = InventoryStore(redis_conn)
    store.save(AWS, [_vm(AWS, "web-1"), _vm(AWS, "web-2")])
    store.upsert(AWS, [_vm(AWS, "web-2", "stopped")])
    states = {r.name: r.state for r in store.load(AWS.key)}
    assert states == {"web-1": "running", "web-2": "stopped"}


def test_refresh_requests_make_each_scope_due_once(redis_conn: redis.Redis) -> None:
    store = InventoryStore(redis_conn)
    assert store.schedule.claim(60) == []
    for _ in range(500):
        store.request_refresh([AWS.key, AZURE.key])
    assert store.schedule.count() == 2  # a burst of status requests stays bounded
    assert sorted(store.schedule.claim(60)) == sorted([AWS.key, AZURE.key])
    assert store.schedule.claim(60) == []  # claimed: one worker refreshes each


def test_one_refresher_per_scope(redis_conn: redis.Redis) -> None:
    store = InventoryStore(redis_conn)
    assert store.lock(AWS.key, 5)
    assert not store.lock(AWS.key, 5)
    store.unlock(AWS.key)
    assert store.lock(AWS.key, 5)


def _answering_worker(store: InventoryStore, stop: threading.Event) -> None:
    """Stands in for the worker side: answers refresh requests for AWS; Azure never answers."""
    while not stop.is_set():
        for key in store.schedule.claim(60):
            if key == AZURE.key:
                store.begin(AZURE)  # in flight, hanging
            else:
                store.save(AWS, [_vm(AWS, "web-1"), _vm(AWS, "web-fresh")])
        store.schedule.wait(0.05)


def test_freshen_waits_for_an_answering_cloud_but_not_past_the_deadline(redis_conn: redis.Redis) -> None:
    clock = ManualClock()
    store = InventoryStore(redis_conn, clock=clock)
    store.register([AWS, AZURE])
    stop = threading.Event()
    worker = threading.Thread(target=_answering_worker, args=(store, stop), daemon=True)
    worker.start()
    try:
        reader = CachedInventory(store)
        reader.freshen(max_age=0, deadline=1.0)
        assert "web-fresh" in {r.name for r in reader.snapshot().resources}  # waited for AWS's answer
    finally:
        stop.set()
        worker.join(timeout=2)
    # Azure is now known to hang: the next status neither asks for it again nor waits for it.
    clock.advance(0.3)
    reader.freshen(max_age=3600, deadline=0.2)
    assert store.schedule.claim(60) == []
    assert {s.label: s.fetched_at is None for s in reader.snapshot().sources} == {
        "AWS prod us-east-1": False,
        "Azure sub-1": True,
    }


def test_a_refresh_that_read_before_an_action_keeps_the_actions_result(redis_conn: redis.Redis) -> None:
    clock = ManualClock()
    store = InventoryStore(redis_conn, clock=clock)
    store.save(AWS, [_vm(AWS, "web-1"), _vm(AWS, "web-2")])
    started = clock.now  # a refresh reads the cloud here: web-2 still running
    clock.advance(0.01)
    store.upsert(AWS, [_vm(AWS, "web-2", "stopped")])  # the action finished meanwhile
    store.save(AWS, [_vm(AWS, "web-1"), _vm(AWS, "web-2")], started_at=started)
    assert {r.name: r.state for r in store.load(AWS.key)} == {"web-1": "running", "web-2": "stopped"}
    store.save(AWS, [_vm(AWS, "web-1"), _vm(AWS, "web-2", "stopped")], started_at=clock.advance(0.01))
    assert store.state(AWS).written == {}  # a refresh that began after the action has seen it itself


def test_writes_from_many_threads_lose_nothing(redis_conn: redis.Redis) -> None:
    store = InventoryStore(redis_conn)
    store.save(AWS, [])
    names = [f"vm-{i}" for i in range(40)]
    threads = [threading.Thread(target=store.upsert, args=(AWS, [_vm(AWS, n)])) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.name for r in store.load(AWS.key)) == sorted(names)


def test_a_failed_billing_read_keeps_the_last_figures_with_the_error(redis_conn: redis.Redis) -> None:
    store = InventoryStore(redis_conn)
    store.save_billing([Billing(label="AWS prod", by_service={"EC2": 100.0}, fetched_at=1.0)])
    store.save_billing([Billing(label="AWS prod", fetched_at=2.0, error="AWS: credentials refused for prod")])
    (kept,) = store.billing()
    assert kept.total == 100.0 and kept.fetched_at == 1.0 and kept.error == "AWS: credentials refused for prod"
