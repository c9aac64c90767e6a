"""Benchmarks of the real-cloud path as a whole: the workers' parallel refresh of several providers through the
real SDKs and the loopback fakes, `status` answer times while one provider hangs (against its deadline), and
the inventory cache's size in Redis and in a chat process (100,000 resources)."""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

import redis
import trustme
from google.auth.credentials import AnonymousCredentials

from actions.azure import AzureBackend
from actions.backend import CloudBackend, Scope
from actions.gcp import GcpBackend
from actions.inventory.reader import CachedInventory
from actions.inventory.store import InventoryStore
from actions.multicloud import MultiCloud
from actions.resilience import Guard
from actions.simulated import generate_inventory
from bench.figures import Figure
from bot.runtime import Runtime
from core.cloud_config import AzureSubscription, GcpProject
from core.models import ConversationRef, Message
from core.settings import load_settings
from fakes.azure_arm import FakeArm, StaticToken
from fakes.gcp_compute import FakeComputeApi
from workers.inventory import InventoryRefresher

SUB, PROJECT, ZONE = "bench-sub", "bench-project", "europe-west1-b"
INSTANCES = 2000
STATUS_RUNS = 40
BENCH_PREFIX = "opsbot:bench:inventory:"  # never the live cache
ROOM = ConversationRef(channel="console", conversation_id="bench-clouds")


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _backends(ca_path: str, arm: FakeArm, gcp: FakeComputeApi) -> list[CloudBackend]:
    azure = AzureBackend(
        [AzureSubscription(id=SUB, name="bench")], arm_url=arm.url, credential=StaticToken(), timeout=2.0,
        poll_seconds=0.05, connection_verify=ca_path,
    )  # fmt: skip
    google = GcpBackend(
        [GcpProject(id=PROJECT, zones=[ZONE])], compute_url=gcp.url,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        timeout=2.0, poll_seconds=0.05,
    )  # fmt: skip
    return [azure, google]


def _refresh_figures(backends: list[CloudBackend], store: InventoryStore) -> list[Figure]:
    guard = Guard(attempts=1)
    one = {}
    for backend in backends:
        scope = backend.scopes()[0]
        backend.fetch(scope)  # warm-up: clients, credentials, connections
        start = time.perf_counter()
        store.save(scope, backend.fetch(scope))
        one[backend.cloud.value] = time.perf_counter() - start
    refresher = InventoryRefresher(backends, store, guard, every_seconds=3600)
    keys = [s.key for b in backends for s in b.scopes()]
    began, start = time.time(), time.perf_counter()
    refresher.refresh_now()
    while any((state.checked_at or 0.0) < began for k, state in store.states().items() if k in keys):
        time.sleep(0.005)
    together = time.perf_counter() - start
    refresher.stop()
    figures = [Figure(f"refresh {name}, {INSTANCES:,} instances", s * 1000, "ms") for name, s in one.items()]
    figures.append(Figure("refresh of both at once (parallel)", together * 1000, "ms", "~ the slower one"))
    return figures


def _status_times(runtime: Runtime, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        runtime.conversation.handle(Message(ref=ROOM, sender="alice", text="status", received_at=time.time()))
        times.append((time.perf_counter() - start) * 1000)
    return times


def _runtime(backends: list[CloudBackend], connection: redis.Redis, refresh_seconds: float) -> Runtime:
    settings = load_settings().model_copy(
        update={"status_deadline_seconds": 1.0, "inventory_refresh_seconds": refresh_seconds,
                "data_dir": Path(tempfile.mkdtemp())}
    )  # fmt: skip
    store = InventoryStore(connection, BENCH_PREFIX + f"status{refresh_seconds:g}:")
    provider = MultiCloud(backends, store, Guard(attempts=1), timeout_for=lambda _r: 30.0)
    runtime = Runtime.build(settings, with_worker=True, provider=provider)
    assert runtime.refresher is not None
    runtime.refresher.refresh_all()
    return runtime


def _status_figures(backends: list[CloudBackend], gcp: FakeComputeApi, connection: redis.Redis) -> list[Figure]:
    runtime = _runtime(backends, connection, 60.0)  # on schedule: answered from the cache
    try:
        healthy = _status_times(runtime, STATUS_RUNS)
    finally:
        runtime.close()
    # Refreshed every 2 s, so status finds data older than 3 s and asks for fresher: then GCP hangs.
    runtime = _runtime(backends, connection, 2.0)
    try:
        gcp.hang("/compute", 60.0, times=10_000)
        time.sleep(3.1)
        first = _status_times(runtime, 1)[0]
        hung = _status_times(runtime, STATUS_RUNS)
    finally:
        runtime.close()
    return [
        Figure("status, on schedule p50", _p(healthy, 0.5), "ms"),
        Figure("status, on schedule p99", _p(healthy, 0.99), "ms"),
        Figure("status, stale data and GCP hung: first answer", first, "ms", "<= 1,000 ms deadline"),
        Figure("status, GCP hung: later answers p50", _p(hung, 0.5), "ms"),
        Figure("status, GCP hung: later answers p99", _p(hung, 0.99), "ms", "<= 1,000 ms deadline"),
    ]


def _cache_figures(connection: redis.Redis) -> list[Figure]:
    """100,000 resources in 10 scopes: bytes in Redis, a chat process's load time and memory."""
    store = InventoryStore(connection, BENCH_PREFIX + "100k:")
    resources = generate_inventory(7, 100_000)
    scopes = [
        Scope(cloud=r.cloud, account="bench", region=f"r{i}", label=f"bench {i}") for i, r in enumerate(resources[:10])
    ]
    chunk = len(resources) // len(scopes)
    start = time.perf_counter()
    for i, scope in enumerate(scopes):
        store.save(scope, resources[i * chunk : (i + 1) * chunk if i < len(scopes) - 1 else None])
    saved = time.perf_counter() - start
    start = time.perf_counter()
    snapshot = CachedInventory(store).snapshot()
    loaded = time.perf_counter() - start
    del snapshot
    tracemalloc.start()
    snapshot = CachedInventory(store).snapshot()
    memory = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    assert len(snapshot.resources) == len(resources)
    return [
        Figure("cache: 100k resources in Redis (compressed)", store.stored_bytes() / 1e6, "MB"),
        Figure("cache: write 100k (10 scopes)", saved * 1000, "ms"),
        Figure("cache: load 100k into a chat process", loaded * 1000, "ms", "in the background"),
        Figure("cache: 100k resources in a chat process", memory, "MB"),
    ]


def run() -> list[Figure]:
    settings = load_settings()
    from core.redis import connect

    connection = connect(settings)
    for key in connection.scan_iter(BENCH_PREFIX + "*"):
        connection.delete(key)
    ca = trustme.CA()
    ca_path = Path(tempfile.mkdtemp()) / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    arm = FakeArm(ca, page_size=100)
    gcp = FakeComputeApi(page_size=500).start()
    try:
        for i in range(INSTANCES):
            arm.add_vm(SUB, "bench", f"vm-{i:04d}", tags={"environment": "prod"})
        gcp.seed_instances(PROJECT, ZONE, INSTANCES, labels={"env": "prod"})
        backends = _backends(str(ca_path), arm, gcp)
        figures = _refresh_figures(backends, InventoryStore(connection, BENCH_PREFIX))
        figures += _status_figures(backends, gcp, connection)
    finally:
        gcp.stop()
        arm.close()
    return figures + _cache_figures(connection)


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
