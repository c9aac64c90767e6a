"""How opsbot retries, one way: a `RetryPolicy`, run by tenacity, sync and async.

A failed attempt that is worth retrying (the caller says which are) is tried again after the server's
Retry-After when it gave one - a cloud's `TransientProviderError.retry_after`, a chat platform's
`bot.channels.RetryAfter` - else after an exponential back-off: `first`, twice that, four times ... up to `most`,
with full jitter by default (a random pause up to that), so callers that failed together do not come back
together. It stops after `attempts` and/or before a pause would run past `deadline`, and hands back the last
error as it was raised. Tests pass their own `sleep`, so time moves without waiting.

Its users: a cloud call (`actions.resilience.Guard`: full jitter, a Retry-After over a minute handed back), an
action's job (`workers.execution`: 1 s, 2 s, 4 s ... shown to the user as they happen), a chat reply
(`bot.delivery`: a 429 waited out without counting), and reaching Slack or Telegram at start-up (until they
answer)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception

__all__ = ["BeforeSleep", "RetryCallState", "RetryPolicy", "SaysWhen", "WorthRetrying", "retry_after"]

# Past this many doublings every back-off is `most` (and 2.0 ** n would overflow a float in a loop that never stops).
_DOUBLINGS = 64
_THROTTLED = "opsbot_throttled"  # in tenacity's per-call statistics: attempts answered with a Retry-After

WorthRetrying = Callable[[BaseException], bool]
BeforeSleep = Callable[[RetryCallState], None]  # sees the failed attempt (`outcome`) and its `upcoming_sleep`


@runtime_checkable
class SaysWhen(Protocol):
    """An error carrying the server's Retry-After, in seconds (None when it did not say)."""

    @property
    def retry_after(self) -> float | None: ...


def retry_after(error: BaseException | None) -> float | None:
    """The seconds `error`'s server asked us to wait, or None."""
    said = error.retry_after if isinstance(error, SaysWhen) else None
    return max(0.0, float(said)) if isinstance(said, int | float) else None


@dataclass(frozen=True)
class RetryPolicy:
    """How one kind of call is retried. Build a `retrying`/`async_retrying` for each call: it counts that call."""

    attempts: int | None = None  # at most this many attempts in all; None: no limit
    deadline: float | None = None  # seconds from the first attempt: no pause runs past it; None: no limit
    first: float = 1.0  # the back-off after the first failure; it doubles with each attempt
    most: float = 30.0  # the longest back-off
    jitter: bool = True  # full jitter: a random pause between 0 and the back-off
    longest_retry_after: float | None = None  # a Retry-After is waited at most this long; None: as long as it says
    throttles_count: bool = True  # False: an attempt answered with a Retry-After does not use up `attempts`

    def __post_init__(self) -> None:
        if self.attempts is not None and self.attempts < 1:
            raise ValueError("a retry policy needs attempts >= 1")
        if self.first < 0 or self.most < self.first or (self.deadline is not None and self.deadline <= 0):
            raise ValueError("a retry policy needs 0 <= first <= most and a positive deadline")

    def backoff(self, attempt: int) -> float:
        """The pause after failed attempt number `attempt` (from 1) when the server did not say how long."""
        ceiling = self.most if attempt > _DOUBLINGS else min(self.most, self.first * 2.0 ** max(0, attempt - 1))
        return random.uniform(0.0, ceiling) if self.jitter else ceiling

    def pause(self, state: RetryCallState) -> float:
        """tenacity's `wait`: the server's Retry-After when it gave one, else the back-off."""
        said = retry_after(_error(state))
        if said is None:
            return self.backoff(state.attempt_number)
        return said if self.longest_retry_after is None else min(said, self.longest_retry_after)

    def retrying(
        self, worth_retrying: WorthRetrying, *, before_sleep: BeforeSleep | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Retrying:  # fmt: skip
        """Call the result with the function to try (and its arguments)."""
        return Retrying(
            stop=self._stop, wait=self.pause, retry=retry_if_exception(worth_retrying), before_sleep=before_sleep,
            sleep=sleep, reraise=True,
        )  # fmt: skip

    def async_retrying(
        self, worth_retrying: WorthRetrying, *, before_sleep: BeforeSleep | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> AsyncRetrying:  # fmt: skip
        """Await the result called with the coroutine function to try. A cancelled attempt stays cancelled unless
        `worth_retrying` says otherwise of `asyncio.CancelledError`."""
        return AsyncRetrying(
            stop=self._stop, wait=self.pause, retry=retry_if_exception(worth_retrying), before_sleep=before_sleep,
            sleep=sleep, reraise=True,
        )  # fmt: skip

    def _stop(self, state: RetryCallState) -> bool:
        """Called once per failed attempt worth retrying, after its pause is known."""
        if self.deadline is not None and (state.seconds_since_start or 0.0) + state.upcoming_sleep >= self.deadline:
            return True
        if self.attempts is None:
            return False
        statistics = state.retry_object.statistics  # emptied by tenacity at the start of each call
        throttled: int = statistics.get(_THROTTLED, 0)
        if not self.throttles_count and retry_after(_error(state)) is not None:
            throttled = statistics[_THROTTLED] = throttled + 1
        return state.attempt_number - throttled >= self.attempts


def _error(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None
