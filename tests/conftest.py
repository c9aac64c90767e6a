"""Shared fixtures. Redis is real: the database named by OPSBOT_TEST_REDIS_URL (`make test` starts a private
redis-server and sets it), flushed around each test. OPSBOT_TEST_REDIS_DB overrides the URL's database number, so
several runs can share one server; under pytest-xdist, worker gwN adds N to it, so parallel workers never share a
database. Without OPSBOT_TEST_REDIS_URL the Redis tests fail rather than empty a database nobody named."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from core.settings import Settings


def _redis_url() -> str:
    base = os.environ.get("OPSBOT_TEST_REDIS_URL")
    if not base:
        pytest.fail(
            "set OPSBOT_TEST_REDIS_URL to a Redis database the tests may empty, or run `make test`", pytrace=False
        )
    db = os.environ.get("OPSBOT_TEST_REDIS_DB")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw3" under pytest-xdist: each worker its own database
    if db is None and not worker:
        return base
    head, _, tail = base.rpartition("/") if base.count("/") >= 3 else (base, "/", "0")
    number = int(db if db is not None else (tail or "0")) + (int(worker[2:]) if worker.startswith("gw") else 0)
    return f"{head}/{number}"


@pytest.fixture
def redis_url() -> str:
    return _redis_url()


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    try:
        conn.ping()
    except redis.ConnectionError as exc:  # pragma: no cover - environment problem, not a test result
        pytest.fail(f"no Redis at {redis_url}: run the tests with `make test`, which starts one ({exc})")
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's own OPSBOT_* settings or writes into the checkout."""
    for key in list(os.environ):
        if key.startswith("OPSBOT_") and not key.startswith("OPSBOT_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("OPSBOT_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture
def settings(redis_conn: redis.Redis, redis_url: str, tmp_path: Path) -> Settings:
    """Settings on the real test Redis, a fresh data dir, and fast simulated actions."""
    return Settings(
        redis_url=redis_url,
        data_dir=tmp_path / "data",
        sim_step_seconds=0.01,
        sim_resources=2000,
    )
