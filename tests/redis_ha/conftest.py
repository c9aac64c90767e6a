"""Fixtures of the Redis high-availability tests: a real master, replica and three sentinels of their own (no
shared test database), and settings whose OPSBOT_REDIS_URL reaches them through the sentinels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from core.redis import connect
from core.settings import Settings
from fakes.redis_ha import Address, SentinelRedis
from tests.eventually import eventually


@pytest.fixture
def cluster() -> Iterator[SentinelRedis]:
    with SentinelRedis() as running:
        yield running


def through_sentinels(url: str, tmp_path: Path) -> Settings:
    return Settings(redis_url=url, data_dir=tmp_path / "data")


@pytest.fixture
def client(cluster: SentinelRedis, tmp_path: Path) -> Iterator[redis.Redis]:
    """opsbot's own client (core.redis.connect) on the cluster, as every opsbot process builds it."""
    connection = connect(through_sentinels(cluster.url, tmp_path))
    yield connection
    connection.close()


def following(cluster: SentinelRedis, client: redis.Redis, master: Address) -> None:
    """Wait until a write through `client` lands on `master`: moments after the sentinels' switch (their
    +switch-master reaches the client's watch). Until then a write may still land on the old master, and be
    lost - which is why intake waits for the replicas (test_intake_failover)."""
    server = cluster.server(master)

    def written() -> bool:
        client.set("opsbot:test:following", str(master))
        return server.get("opsbot:test:following") == str(master).encode()

    eventually(written, 10, f"a write through the client on the new master {master}")
