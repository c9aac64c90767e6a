"""Timers on one mechanism: due times in a Redis sorted set, shared by every process, and a `Ticker` thread that
runs what fell due. Between runs it blocks on a wake-up list (BLPOP) until the earliest time is due; every change
that can bring a time nearer pushes onto that list, so the waiter wakes at once rather than on its next poll.

A process claims what is due by pushing it a lease ahead (one process runs it; if that process dies, it is due
again when the lease ends). Times are read from the `clock` the schedule is given, so tests move time forward and
call `wake()` instead of sleeping. Used by the escalation timers and the inventory refresh schedule; it lives in
`core` because chat processes ask for a refresh through it and workers run it."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, cast

import redis
from redis.client import Pipeline

log = logging.getLogger(__name__)

Clock = Callable[[], float]

# KEYS: due set. ARGV: now, lease end, limit. Claims up to `limit` due members by moving them to the lease end.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, m in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], m) end
return due
"""
_SHORTEST_WAIT = 0.01  # Redis reads a BLPOP timeout of 0 as "forever"
# One blocking read waits at most this long, under redis-py's default socket timeout (5 s), which would otherwise
# end a longer one with a TimeoutError; a longer wait is several reads (each woken at once by a change).
BLOCK_SLICE_SECONDS = 4.0
_WAKE_TTL_SECONDS = 3600  # a wake-up nobody took is gone after a while (a stopped waiter's own key)


class Schedule:
    def __init__(
        self, connection: redis.Redis, due_key: str, wake_key: str, *, clock: Clock = time.time,
        slice_seconds: float = BLOCK_SLICE_SECONDS,
    ) -> None:  # fmt: skip
        """`slice_seconds`: the longest blocking read; more only on a client whose socket timeout allows it."""
        self._redis = connection
        self._due, self._wake = due_key, wake_key
        self.clock = clock
        self._slice = slice_seconds
        self._claim = connection.register_script(_CLAIM)

    def set(
        self, due: Mapping[str, float], *, only_new: bool = False, wake: bool = True, pipe: Pipeline | None = None
    ) -> None:
        """Members due at these times (`only_new`: leave the time of members already there), waking a waiter
        unless `wake` is False (a waiter putting back its own members must not wake itself). In `pipe`, if given."""
        target = pipe if pipe is not None else self._redis.pipeline()
        target.zadd(self._due, dict(due), nx=only_new)
        if wake:
            self.wake(target)
        if pipe is None:
            target.execute()

    def move(self, member: str, due: float) -> bool:
        """A new time for a member that is there; False (and nothing changes) when it is not, or had that time."""
        with self._redis.pipeline() as pipe:
            pipe.zadd(self._due, {member: due}, xx=True, ch=True)
            self.wake(pipe)
            changed = pipe.execute()[0]
        return bool(changed)

    def remove(self, member: str, pipe: Pipeline | None = None) -> bool:
        """Forget a member; True if it was there (in `pipe`: its first result says so)."""
        if pipe is not None:
            pipe.zrem(self._due, member)
            return True
        return bool(self._redis.zrem(self._due, member))

    def claim(self, lease_seconds: float, limit: int = 50) -> list[str]:
        """The members due now, each moved `lease_seconds` ahead so that no other process runs it meanwhile."""
        now = self.clock()
        raw = cast(list[Any], self._claim(keys=[self._due], args=[repr(now), repr(now + lease_seconds), limit]))
        return [m.decode() if isinstance(m, bytes) else str(m) for m in raw]

    def due_at(self, member: str) -> float | None:
        return self._redis.zscore(self._due, member)

    def next_due(self) -> float | None:
        first = cast(list[tuple[bytes, float]], self._redis.zrange(self._due, 0, 0, withscores=True))
        return first[0][1] if first else None

    def count(self) -> int:
        return int(self._redis.zcard(self._due))

    def wait(self, longest: float, *, or_key: str | None = None, overdue_pause: float = 0.0) -> None:
        """Block until the earliest member is due or a change wakes us, at most `longest` seconds (and at most
        one slice: the caller then waits again); also when something is pushed onto `or_key` (a
        waiter's own key, to stop it at once)."""
        seconds, due = min(longest, self._slice), self.next_due()
        if due is not None:
            seconds = min(seconds, due - self.clock())
            if seconds <= 0:  # still due after the work ran: only a worker that cannot settle it leaves it there
                seconds = min(overdue_pause, longest)
        if seconds > 0:
            keys = [self._wake] if or_key is None else [self._wake, or_key]
            self._redis.blpop(keys, timeout=max(seconds, _SHORTEST_WAIT))

    def wake(self, pipe: Pipeline | None = None, *, key: str | None = None) -> None:
        """Wake a waiter now (the list holds at most one wake-up: a burst of changes wakes it once); with `key`,
        the one waiter that waits on that key too."""
        target = pipe if pipe is not None else self._redis.pipeline()
        wake = key or self._wake
        target.lpush(wake, "1")
        target.ltrim(wake, 0, 0)
        target.expire(wake, _WAKE_TTL_SECONDS)
        if pipe is None:
            target.execute()


class Ticker:
    """A thread that calls `work` whenever something on `schedule` falls due or the schedule changes, and waits on
    the schedule in between. `work` may return how soon it wants to run again regardless (seconds), or None; the
    wait never exceeds `longest`. While Redis is unreachable it tries again every `retry_seconds`. A member still due
    after `work` ran is waited on again after `overdue_pause` (0: at once, for work that takes a bounded batch), so
    work that cannot settle it does not spin."""

    def __init__(
        self, name: str, schedule: Schedule, work: Callable[[], float | None], *, longest: float,
        retry_seconds: float = 1.0, overdue_pause: float = 0.0,
    ) -> None:  # fmt: skip
        self._name = name
        self._schedule = schedule
        self._work = work
        self._longest = longest
        self._retry = retry_seconds
        self._overdue_pause = overdue_pause
        self._stop = threading.Event()
        self._stop_key = f"opsbot:ticker:{name}:{uuid.uuid4().hex}"  # its own wake-up: stop() ends its wait at once
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._failing = False

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait_seconds: float = 5.0) -> None:
        self._stop.set()
        with contextlib.suppress(redis.RedisError):  # unreachable: the thread is waiting to retry, not on Redis
            self._schedule.wake(key=self._stop_key)
        if self._thread.is_alive():
            self._thread.join(timeout=wait_seconds)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                again = self._work()
                if self._stop.is_set():
                    return
                longest = self._longest if again is None else min(self._longest, again)
                self._schedule.wait(longest, or_key=self._stop_key, overdue_pause=self._overdue_pause)
                if self._failing:
                    log.warning("%s: Redis answers again; resumed", self._name)
                    self._failing = False
            except redis.RedisError as exc:
                if not self._failing:
                    log.warning("%s: Redis unreachable (%s); retrying every %g s", self._name, type(exc).__name__,
                                self._retry)  # fmt: skip
                self._failing = True
                self._stop.wait(self._retry)
