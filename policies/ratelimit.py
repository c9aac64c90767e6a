"""Sliding-window rate limits in Redis, shared by every process that talks to the same server.

Each key is a sorted set of the accepted hits' times. One Lua script drops the hits older than the
window, counts the rest and either records the new hit or says how long until one more fits, so two
processes can never both take the last slot. Refused hits are not recorded: hammering does not
lengthen the wait. Time comes from the Redis server, so processes with skewed clocks agree.

`peek` asks the same question without recording: a change is judged early (is its user already at the
limit?) but counted only when it is about to be asked to confirm."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

import redis

log = logging.getLogger(__name__)

KEY_PREFIX = "opsbot:rate:"

_SLIDING_WINDOW = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
local now_ms = tonumber(ARGV[3])
if now_ms < 0 then
  local t = redis.call('TIME')
  now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now_ms - window_ms)
local count = redis.call('ZCARD', key)
if count < limit then
  if ARGV[5] == '1' then
    redis.call('ZADD', key, now_ms, ARGV[4])
    redis.call('PEXPIRE', key, window_ms)
  end
  return -1
end
-- after a lowered limit more than one hit may have to age out before the next fits
local blocking = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
return tonumber(blocking[2]) + window_ms - now_ms
"""


class RateLimiter:
    def __init__(self, connection: redis.Redis, clock: Callable[[], float] | None = None) -> None:
        """`clock` (unix seconds) replaces the Redis server's time; tests use it to move time."""
        self._script = connection.register_script(_SLIDING_WINDOW)
        self._clock = clock

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
        now_ms = int(self._clock() * 1000) if self._clock is not None else -1
        args: list[int | str] = [limit, per_seconds * 1000, now_ms, uuid.uuid4().hex, int(record)]
        try:
            wait_ms = int(self._script(keys=[KEY_PREFIX + key], args=args))
        except redis.RedisError as exc:
            log.warning("rate limit %s not checked: %s", key, exc)
            return None
        return None if wait_ms < 0 else max(wait_ms, 1) / 1000
