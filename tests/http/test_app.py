"""The HTTP app: probes, metrics, the body limit in front of every adapter, and unknown paths."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import httpx
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from actions.backend import Scope
from actions.inventory.store import InventoryStore
from actions.multicloud import MultiCloud
from actions.resilience import Guard
from bot.http import MAX_BODY_BYTES, build_app
from bot.runtime import Runtime
from core.models import Cloud
from core.settings import Settings
from tests.http.fake_adapter import HOOK, FakeAdapter

Body = bytes | AsyncIterator[bytes]


class _Client:
    """The app called in-process through httpx's ASGI transport, one request at a time."""

    def __init__(self, runtime: Runtime, adapter: FakeAdapter) -> None:
        self.app = build_app(runtime, [adapter])

    def get(self, path: str) -> httpx.Response:
        return asyncio.run(self._call("GET", path))

    def post(self, path: str, content: Body) -> httpx.Response:
        return asyncio.run(self._call("POST", path, content))

    async def _call(self, method: str, path: str, content: Body | None = None) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.request(method, path, content=content)


def test_healthz_says_ok(runtime: Runtime) -> None:
    answer = _Client(runtime, FakeAdapter()).get("/healthz")
    assert (answer.status_code, answer.text) == (200, "ok")


def test_readyz_is_200_when_redis_and_every_adapter_are_ready(runtime: Runtime) -> None:
    assert _Client(runtime, FakeAdapter()).get("/readyz").status_code == 200


def test_readyz_names_the_adapter_that_is_not_ready(runtime: Runtime) -> None:
    adapter = FakeAdapter()
    adapter.is_ready = False
    answer = _Client(runtime, adapter).get("/readyz")
    assert answer.status_code == 503
    assert answer.text.splitlines() == ["fake: not ready"]


def test_readyz_is_503_when_redis_is_down(runtime: Runtime, closed_port: int) -> None:
    # No client-side retries: the probe itself gives up after REDIS_PROBE_SECONDS either way.
    dead = redis.Redis(host="127.0.0.1", port=closed_port, retry=Retry(NoBackoff(), 0))
    answer = _Client(dataclasses.replace(runtime, connection=dead), FakeAdapter()).get("/readyz")
    assert answer.status_code == 503
    assert answer.text.splitlines() == ["redis: not answering"]
    assert _Client(dataclasses.replace(runtime, connection=dead), FakeAdapter()).get("/healthz").status_code == 200


def test_metrics_are_in_prometheus_exposition_format(runtime: Runtime) -> None:
    answer = _Client(runtime, FakeAdapter()).get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "# TYPE opsbot_stage_seconds histogram" in answer.text


def test_a_body_over_one_mib_is_refused_before_the_adapter_sees_it(runtime: Runtime) -> None:
    adapter = FakeAdapter()
    answer = _Client(runtime, adapter).post(HOOK, content=b"x" * (MAX_BODY_BYTES + 1))
    assert answer.status_code == 413
    assert adapter.bodies == []


def test_a_body_without_content_length_is_counted_too(runtime: Runtime) -> None:
    adapter = FakeAdapter()

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(17):
            yield b"y" * 65536  # 17 x 64 KiB: just over 1 MiB

    answer = _Client(runtime, adapter).post(HOOK, content=chunks())
    assert answer.status_code == 413
    assert adapter.bodies == []


def test_a_body_of_exactly_the_limit_reaches_the_adapter_whole(runtime: Runtime) -> None:
    adapter = FakeAdapter()
    answer = _Client(runtime, adapter).post(HOOK, content=b"z" * MAX_BODY_BYTES)
    assert answer.status_code == 200
    assert adapter.bodies == [b"z" * MAX_BODY_BYTES]


def test_unknown_paths_are_404(runtime: Runtime) -> None:
    client = _Client(runtime, FakeAdapter())
    assert client.get("/slack/events").status_code == 404  # not mounted: no Slack adapter here
    assert client.post("/nowhere", content=b"{}").status_code == 404


def test_metrics_export_each_cloud_sources_age_and_failure(settings: Settings, redis_conn: redis.Redis) -> None:
    store = InventoryStore(redis_conn)
    store.save(Scope(cloud=Cloud.AWS, account="prod", region="us-east-1", label="AWS prod us-east-1"), [])
    store.fail(Scope(cloud=Cloud.AZURE, account="sub", region="*", label="Azure shop"), "Azure: credentials refused")
    provider = MultiCloud([], store, Guard(), timeout_for=lambda _r: 30.0)
    runtime = Runtime.build(settings, with_worker=False, provider=provider)
    try:
        text = _Client(runtime, FakeAdapter()).get("/metrics").text
    finally:
        runtime.close()
    assert 'opsbot_inventory_source_failing{source="Azure shop"} 1.0' in text
    assert 'opsbot_inventory_source_failing{source="AWS prod us-east-1"} 0.0' in text
    assert 'opsbot_inventory_age_seconds{source="Azure shop"} +Inf' in text
    assert "opsbot_stage_seconds" in text  # the process's own metrics are still there


def test_the_simulated_world_exports_no_inventory_sources(runtime: Runtime) -> None:
    assert "opsbot_inventory_age_seconds" not in _Client(runtime, FakeAdapter()).get("/metrics").text
