"""A refresher that stops while a cloud is still answering writes nothing more: what the hung read brings back later
is dropped, so a stopped worker never changes the cache (nor a test's database after it)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import redis
from google.auth.credentials import AnonymousCredentials

from actions.gcp import GcpBackend
from actions.inventory.store import InventoryStore
from actions.resilience import Guard
from core.cloud_config import GcpProject
from fakes.gcp_compute import FakeComputeApi
from tests.eventually import eventually
from workers.inventory import InventoryRefresher

PROJECT, ZONE = "shop-prod-7", "europe-west1-b"


@pytest.fixture
def gcp() -> Iterator[FakeComputeApi]:
    fake = FakeComputeApi(page_size=20).start()
    fake.add_mig(PROJECT, ZONE, "web-prod", 3, labels={"env": "prod"})
    yield fake
    fake.stop()


def _refreshers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("inv")}


def test_a_read_that_ends_after_the_stop_is_dropped(gcp: FakeComputeApi, redis_conn: redis.Redis) -> None:
    google = GcpBackend(
        [GcpProject(id=PROJECT, zones=[ZONE])], compute_url=gcp.url,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        timeout=10.0, poll_seconds=0.02,
    )  # fmt: skip
    store = InventoryStore(redis_conn)
    gcp.hang("/compute", 1.0, times=1)  # the first request answers a second late
    earlier = _refreshers()  # another test's idle pool in this process is not this refresher's read
    refresher = InventoryRefresher([google], store, Guard(attempts=1), every_seconds=60.0)
    refresher.start()
    eventually(lambda: gcp.seen("/compute"), 10.0, "the refresh under way")
    refresher.stop(wait_seconds=0.05)  # it does not wait for the hung read
    eventually(lambda: not (_refreshers() - earlier), 15.0, "the late read ended", seen=_refreshers)
    [scope] = google.scopes()
    state = store.state(scope)
    assert (state.fetched_at, state.error) == (None, None)  # neither the late answer nor a failure was written
    assert store.load(scope.key) == ()
