"""Rate limits, one way: `limits`' moving window - at most `amount` hits in any `seconds` per key - on its memory
storage (one process: a cloud endpoint's client-side limit, `actions.resilience`) or on Redis (every process on
the same server: people's message and change limits, `policies.ratelimit`). A refused hit is not recorded, so
hammering does not lengthen the wait. `Windows.hit` counts a hit or says how long until one more fits; `peek`
asks the same without counting.

A chat platform's pace (`bot.pacing`) is not a window but a token bucket - a short burst, then a fractional
rate, drained by a 429 - which `limits` cannot express; it keeps its own one bucket."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from limits import RateLimitItemPerSecond
from limits.limits import safe_string
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

# Shortest wait said, so a window that frees up "now" by the float clock is not a wait of 0 that spins.
MIN_WAIT_SECONDS = 0.001


class Limit(RateLimitItemPerSecond):
    """`amount` per `multiples` seconds. Its hits are stored under the caller's key alone (limits adds the amount):
    when a policy lowers a limit, the hits counted before still count, and more than one may have to age out."""

    def key_for(self, *identifiers: bytes | str | int | float) -> str:
        return "/".join(safe_string(part) for part in identifiers)


class Windows:
    """Moving windows on one `limits` storage, read on `clock` (unix seconds, the storage's own)."""

    def __init__(self, storage: Storage, clock: Callable[[], float]) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._clock = clock

    def hit(self, limit: Limit, key: str) -> float | None:
        """Count one hit on `key`: None when it fits in `limit`, else the seconds until one more would."""
        if self._limiter.hit(limit, key):
            return None
        return self._wait(limit, key) or MIN_WAIT_SECONDS  # full a moment ago: it frees up now

    def peek(self, limit: Limit, key: str) -> float | None:
        """What `hit` would answer, without counting anything."""
        return self._wait(limit, key)

    def _wait(self, limit: Limit, key: str) -> float | None:
        stats = self._limiter.get_window_stats(limit, key)
        if stats.remaining >= 1:
            return None
        return max(stats.reset_time - self._clock(), MIN_WAIT_SECONDS)


def in_memory() -> Windows:
    """Windows in this process (thread-safe per key), on the wall clock `limits` keeps them by."""
    return Windows(MemoryStorage(), time.time)


def on_redis(connection: redis.Redis, prefix: str, clock: Callable[[], float] | None = None) -> Windows:
    """Windows shared by every process on `connection`'s server, under keys `prefix:key`, through its connection
    pool. `clock` (unix seconds) is the Redis server's time unless given (tests move time with it): processes
    whose clocks are skewed still agree on the windows. Raises redis.RedisError when the server cannot be reached."""
    tick = clock if clock is not None else _server_time(connection)
    return Windows(_ClockedRedisStorage(connection, prefix, tick), tick)


def _server_time(connection: redis.Redis) -> Callable[[], float]:
    def now() -> float:
        seconds, micros = connection.time()
        return float(seconds) + micros / 1_000_000

    return now


class _ClockedRedisStorage(RedisStorage):
    """`limits`' Redis storage and Lua scripts, with the time they are given from `clock`: limits reads
    time.time() itself."""

    def __init__(self, connection: redis.Redis, prefix: str, clock: Callable[[], float]) -> None:
        super().__init__("redis://", connection_pool=connection.connection_pool, key_prefix=prefix)
        self._clock = clock

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        args = [self._clock(), limit, expiry, amount]
        return bool(self.lua_acquire_moving_window([self.prefixed_key(key)], args))

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = self._clock()
        window = self.lua_moving_window([self.prefixed_key(key)], [now - expiry, limit])
        return (float(window[0]), int(window[1])) if window else (now, 0)
