"""Escalation timers in Redis, so they survive any process: a sorted set of alert numbers by the time their next
step is due, and per alert the cursor of that step. A process claims a due alert by pushing its time a lease
ahead (one process per step; if it dies mid-step, the step runs again when the lease ends), then sets the time
of the following step, or removes the alert when its escalation is over."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, cast

import redis

PREFIX = "opsbot:esc:"
_DUE = PREFIX + "due"
_WAKE = PREFIX + "wake"
LEASE_SECONDS = 60.0

# KEYS: due set. ARGV: now, lease end, limit. Claims up to `limit` due members by moving them to the lease end.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, n in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], n) end
return due
"""


@dataclass(frozen=True)
class Pending:
    """The step an alert waits for: where in its policy (`cursor`, JSON-ready) and the page token to use."""

    policy: str
    cursor: dict[str, int]
    token: str
    started: float  # when the escalation began


class Timers:
    def __init__(self, connection: redis.Redis) -> None:
        self._redis = connection
        self._claim = connection.register_script(_CLAIM)

    def schedule(self, number: int, pending: Pending, due: float) -> None:
        pipe = self._redis.pipeline()
        pipe.hset(_state(number), mapping={"pending": json.dumps(pending.__dict__)})
        pipe.zadd(_DUE, {str(number): due})
        pipe.lpush(_WAKE, "1")
        pipe.ltrim(_WAKE, 0, 0)
        pipe.execute()

    def pending(self, number: int) -> Pending | None:
        raw = self._redis.hget(_state(number), "pending")
        return Pending(**json.loads(raw)) if raw else None

    def stop(self, number: int) -> bool:
        """The escalation of this alert is over (acknowledged, resolved, exhausted). True if one was running."""
        pipe = self._redis.pipeline()
        pipe.zrem(_DUE, str(number))
        pipe.delete(_state(number))
        removed, _ = pipe.execute()
        return bool(removed)

    def pause_until(self, number: int, until: float) -> None:
        """A silence: the pending step waits until `until` (if an escalation is running)."""
        self._redis.zadd(_DUE, {str(number): until}, xx=True)

    def hurry(self, number: int, token: str | None = None) -> bool:
        """Run the pending step now (a page failed, or someone pressed 9). With `token`, only if the pending step
        is still the one after that page: a late status callback of an older page changes nothing."""
        if token is not None:
            pending = self.pending(number)
            if pending is None or pending.token != _next_of(token):
                return False
        changed = self._redis.zadd(_DUE, {str(number): time.time()}, xx=True, ch=True)
        self._redis.lpush(_WAKE, "1")
        return bool(changed)

    def due(self, now: float, limit: int = 50) -> list[int]:
        raw = cast(list[Any], self._claim(keys=[_DUE], args=[repr(now), repr(now + LEASE_SECONDS), limit]))
        return [int(n) for n in raw]

    def next_due(self) -> float | None:
        first = cast(list[tuple[bytes, float]], self._redis.zrange(_DUE, 0, 0, withscores=True))
        return first[0][1] if first else None

    def wait(self, seconds: float) -> None:
        """Sleep until something is scheduled or hurried, at most `seconds`."""
        if seconds > 0:
            self._redis.blpop([_WAKE], timeout=max(seconds, 0.01))

    def running(self) -> int:
        return int(self._redis.zcard(_DUE))


def page_token(number: int, step_count: int) -> str:
    """The token of the `step_count`-th page of an alert's escalation."""
    return f"{number}.{step_count}"


def _next_of(token: str) -> str:
    number, _, count = token.partition(".")
    return f"{number}.{int(count) + 1}" if count.isdigit() else ""


def _state(number: int) -> str:
    return f"{PREFIX}{number}"
