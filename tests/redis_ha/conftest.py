"""Fixtures of the Redis high-availability tests: a real master, replica and three sentinels of their own (no
shared test database), and settings whose OPSBOT_REDIS_URL reaches them through the sentinels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from alerts.model import Alert, Incoming
from alerts.store import AlertBook
from bot.intake import IngestResult
from core.redis import connect
from core.settings import Settings
from fakes.redis_ha import Address, SentinelRedis
from tests.eventually import eventually
from tests.intake.harness import RecordingIngest

TOKEN = "intake-token-for-the-redis-ha-tests"


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


@dataclass
class StoringIngest(RecordingIngest):
    """The intake's seam, storing into the real alert store (no routing, no cards: only what intake promises)."""

    book: AlertBook | None = None

    def __call__(self, incoming: list[Incoming]) -> IngestResult:
        assert self.book is not None
        kinds = [self.book.ingest(item, _as_alert).kind for item in incoming]
        return IngestResult(stored=kinds.count("new"), updated=len(kinds) - kinds.count("new"))


def stored_fingerprints(server: redis.Redis) -> list[str]:
    """The fingerprint of every alert stored on `server`, once per stored alert."""
    found = []
    for key in server.scan_iter(match="opsbot:alerts:a:*", count=1000):
        found.append(json.loads(server.hget(key, "json") or b"{}")["fingerprint"])
    return found


def _as_alert(item: Incoming) -> Alert:
    return Alert(number=1, first_seen=0.0, last_seen=0.0, **item.model_dump(exclude={"status"}))
