"""/readyz of `opsbot serve` on a configured AWS account (boto3 against moto): not ready, one line per source,
until every account and region has been read once or has failed with a reason; the simulated world is always
read."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import boto3
import httpx
import pytest
import redis

from actions.backend import Scope
from actions.inventory.store import InventoryStore
from actions.multicloud import MultiCloud
from actions.resilience import Guard
from bot.http import build_app
from bot.runtime import Runtime
from conversation.replies import clock
from core.models import Cloud
from core.settings import Settings
from tests.actions.aws import conftest as aws
from tests.actions.aws.conftest import OTHER_REGION, REGION, RoutedSession, World, aws_backend
from tests.eventually import eventually
from tests.http.fake_adapter import FakeAdapter
from workers.inventory import InventoryRefresher

moto_url, world, shared_session = aws.moto_url, aws.world, aws.shared_session  # moto's server and the account


def _readyz(runtime: Runtime) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=build_app(runtime, [FakeAdapter()]))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/readyz")

    return asyncio.run(call())


@pytest.fixture
def serve(
    world: World, settings: Settings, redis_conn: redis.Redis, shared_session: boto3.Session
) -> Iterator[Runtime]:
    """`opsbot serve --no-worker` on the account: what the cache holds is up to the test."""
    provider = MultiCloud([aws_backend(shared_session)], InventoryStore(redis_conn), Guard(), lambda _request: 30.0)
    runtime = Runtime.build(settings, with_worker=False, provider=provider)
    yield runtime
    runtime.close()


def test_not_ready_before_any_refresh_with_one_line_per_source(serve: Runtime) -> None:
    answer = _readyz(serve)
    assert answer.status_code == 503
    assert answer.text.splitlines() == [
        "AWS prod eu-west-1: no data yet - no refresh started (is a worker running?)",
        "AWS prod us-east-1: no data yet - no refresh started (is a worker running?)",
    ]


def test_a_refresh_in_flight_is_named_with_its_start(serve: Runtime, redis_conn: redis.Redis) -> None:
    started = time.time() - 5
    scope = Scope(cloud=Cloud.AWS, account="prod", region=REGION, label=f"AWS prod {REGION}")
    InventoryStore(redis_conn, clock=lambda: started).begin(scope)
    answer = _readyz(serve)
    assert answer.status_code == 503
    assert f"AWS prod us-east-1: no data yet - first refresh running since {clock(started)}" in answer.text


def test_ready_once_every_source_was_read_or_failed_with_a_reason(
    serve: Runtime, redis_conn: redis.Redis, closed_port: int
) -> None:
    broken = aws_backend(RoutedSession({OTHER_REGION: f"http://127.0.0.1:{closed_port}"}))  # eu-west-1 does not answer
    InventoryRefresher([broken], InventoryStore(redis_conn), Guard(attempts=1), every_seconds=60).refresh_all()
    answer = _readyz(serve)
    assert (answer.status_code, answer.text) == (200, "ready")


def test_a_worker_in_the_same_process_makes_it_ready(world: World, settings: Settings, redis_conn: redis.Redis,
                                                      shared_session: boto3.Session) -> None:  # fmt: skip
    provider = MultiCloud([aws_backend(shared_session)], InventoryStore(redis_conn), Guard(), lambda _request: 30.0)
    runtime = Runtime.build(settings, with_worker=True, provider=provider)  # `opsbot serve`: the refresher runs
    try:

        def ready() -> httpx.Response | None:
            answer = _readyz(runtime)
            return answer if answer.status_code == 200 else None

        assert eventually(ready, 30, "/readyz answering 200").text == "ready"
    finally:
        runtime.close()


def test_the_simulated_world_is_ready_at_once(settings: Settings) -> None:
    runtime = Runtime.build(settings, with_worker=False)
    try:
        assert (_readyz(runtime).status_code, _readyz(runtime).text) == (200, "ready")
    finally:
        runtime.close()
