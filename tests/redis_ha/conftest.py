"""Fixtures of the Redis high-availability tests: a real master, replica and three sentinels of their own (no
shared test database), and settings whose OPSBOT_REDIS_URL reaches them through the sentinels."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from core.redis import connect
from core.settings import Settings
from fakes.redis_ha import SentinelRedis


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
