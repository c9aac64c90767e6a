"""Per-user rate limits in Redis, shared by every process that talks to the same server: a `limits` moving
window per key (`core.rate_limits`), on the Redis server's clock, so processes with skewed clocks agree.

A refused hit is not recorded: hammering does not lengthen the wait. `peek` asks the same question without
recording: a change is judged early (is its user already at the limit?) but counted only when it is about to be
asked to confirm."""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis

from core.rate_limits import Limit, on_redis

log = logging.getLogger(__name__)

KEY_PREFIX = "opsbot:ratelimit"


class RateLimiter:
    def __init__(self, connection: redis.Redis, clock: Callable[[], float] | None = None) -> None:
        """`clock` (unix seconds) replaces the Redis server's time; tests use it to move time."""
        self._windows = on_redis(connection, KEY_PREFIX, clock)

    def hit(self, key: str, limit: int, per_seconds: int) -> float | None:
        """Count one hit on `key`: None if it is within `limit` hits per `per_seconds`, else the seconds
        to wait. If Redis cannot be reached the hit is allowed (and logged): a broken limiter must not
        lock on-call engineers out in the middle of an incident."""
        return self._run(key, limit, per_seconds, record=True)

    def peek(self, key: str, limit: int, per_seconds: int) -> float | None:
        """What `hit` would answer, without counting anything."""
        return self._run(key, limit, per_seconds, record=False)

    def _run(self, key: str, limit: int, per_seconds: int, record: bool) -> float | None:
        if limit < 1 or per_seconds < 1:
            raise ValueError("a rate limit needs limit >= 1 and per_seconds >= 1")
        window = Limit(limit, per_seconds)
        try:
            return self._windows.hit(window, key) if record else self._windows.peek(window, key)
        except redis.RedisError as exc:
            log.warning("rate limit %s not checked: %s", key, exc)
            return None
