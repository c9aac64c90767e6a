"""The one way a backend waits for a cloud operation: poll until the state is reached or the time is up.

A `Wait` is one operation's time limit and poll interval. `Wait.until(observe, done, late)` calls `observe` (one
read of the cloud), returns what it saw once `done` says so, pauses between reads (never past the deadline) and,
when the time is up, raises `ProviderTimeout` with `late(last seen)`: the one line that tells the on-call engineer
where the resource got to. One `Wait` may span several polls (Compute Engine: the operation, then the instance).
`ChangedLines` passes on a progress line only when it differs from the last, so a chat thread is not flooded.

The clock is a parameter (`Clock`), so tests move time instead of sleeping. The SDKs' own waiters are used where
they are what the code waits on (Azure's LRO poller is the pause between reads); boto3's EC2 waiters are not: they
report nothing while they wait, count attempts instead of a deadline, and fail on states a change passes through
("pending" while stopping)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from actions.provider import ProgressCallback
from core.errors import ProviderTimeout

T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


class Wait:
    """`seconds` from now on `clock`; reads `every` seconds apart, each pause `backoff` times the last (at most
    `longest`). The backends poll at a constant interval (`backoff` 1): the configured `cloud_poll_seconds`."""

    def __init__(
        self,
        seconds: float,
        every: float,
        *,
        clock: Clock = SYSTEM_CLOCK,
        backoff: float = 1.0,
        longest: float = math.inf,
    ) -> None:
        self.seconds, self.clock = seconds, clock
        self.every, self._backoff, self._longest = every, backoff, longest
        self._end = clock.now() + seconds

    def left(self) -> float:
        return max(0.0, self._end - self.clock.now())

    def until(
        self,
        observe: Callable[[], T],
        done: Callable[[T], bool],
        late: Callable[[T], str],
        *,
        pause: Callable[[float], None] | None = None,
    ) -> T:
        """What `observe` returned once `done`; ProviderTimeout(late(last seen)) when the time is up first.
        `pause(seconds)` replaces the clock's sleep, e.g. to wake when an SDK poller finishes."""
        interval = min(self.every, self._longest)
        while True:
            seen = observe()
            if done(seen):
                return seen
            left = self.left()
            if left <= 0:
                raise ProviderTimeout(late(seen))
            (pause or self.clock.sleep)(min(interval, left))
            interval = min(interval * self._backoff, self._longest)


class ChangedLines:
    """A progress callback that drops a line equal to the one before it."""

    def __init__(self, progress: ProgressCallback, first: str | None = None) -> None:
        self._progress = progress
        self._last: str | None = None
        if first is not None:
            self(first)

    def __call__(self, line: str) -> None:
        if line != self._last:
            self._last = line
            self._progress(line)
