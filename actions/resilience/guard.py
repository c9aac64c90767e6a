"""`Guard`: every backend call goes through one endpoint's circuit breaker, with retries for transient errors.

A cloud that throttles or fails should cost a chat user one short sentence ("AWS prod us-east-1 is failing;
calls paused for 30 s"), not a hung worker and a log full of stack traces. So: retry only what is worth
retrying (429 / 5xx / timeouts) on opsbot's retry policy (`core.retrying`: the cloud's Retry-After when it says,
else full-jitter backoff), stop as soon as the endpoint's circuit opens, and fail fast while it stays open."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import pybreaker

from actions.resilience.circuit import BreakerState, Endpoint, EndpointHealth, counts_as_failure
from core.errors import ProviderAuthError, ProviderError, ProviderUnavailable
from core.retrying import RetryCallState, RetryPolicy, retry_after

log = logging.getLogger(__name__)

T = TypeVar("T")

# A cloud asking for a longer pause than this gets the error back at once: a worker thread should not sleep
# for minutes, and the caller can tell the user when to try again.
MAX_RETRY_AFTER_SECONDS = 60.0


class Guard:
    """Circuit breakers (one per endpoint, e.g. a `Scope.key`) and retries. Thread-safe: refresher threads
    may call the same and different endpoints at once; a guarded call never holds a lock while it runs."""

    def __init__(
        self,
        *,
        fail_max: int = 5,
        reset_seconds: float = 30.0,
        attempts: int = 4,
        backoff_first: float = 0.5,
        backoff_max: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._fail_max = fail_max
        self._reset_seconds = reset_seconds
        self._retry = RetryPolicy(
            attempts=max(1, attempts), first=backoff_first, most=backoff_max,
            longest_retry_after=MAX_RETRY_AFTER_SECONDS,  # longer ones are handed back: see _worth_retrying
        )  # fmt: skip
        self._once = dataclasses.replace(self._retry, attempts=1)
        self._sleep = sleep
        self._endpoints: dict[str, Endpoint] = {}
        self._lock = threading.Lock()

    def call(self, endpoint: str, label: str, fn: Callable[[], T], *, retry: bool = True) -> T:
        """Run `fn` through `endpoint`'s breaker. Raises ProviderUnavailable without calling `fn` while the
        circuit is open, and as soon as it opens during retries; otherwise `fn`'s own error after the last
        attempt. `retry=False` for calls that must not repeat (starting an operation)."""
        ep = self._endpoint(endpoint, label)
        policy = self._retry if retry else self._once
        retrying = policy.retrying(_worth_retrying, before_sleep=_log_retry(ep.label, policy), sleep=self._sleep)
        result: T = retrying(self._attempt, ep, fn)
        return result

    def state(self, endpoint: str) -> BreakerState:
        with self._lock:
            ep = self._endpoints.get(endpoint)
        return ep.state() if ep else "closed"

    def health(self, endpoint: str) -> EndpointHealth:
        with self._lock:
            ep = self._endpoints.get(endpoint)
        if ep is None:
            return EndpointHealth(
                endpoint=endpoint, label=endpoint, state="closed", failures=0, opened_at=None, last_error=None
            )
        return ep.health()

    def _endpoint(self, key: str, label: str) -> Endpoint:
        with self._lock:
            ep = self._endpoints.get(key)
            if ep is None:
                ep = self._endpoints[key] = Endpoint(key, label, self._fail_max, self._reset_seconds)
            ep.label = label
            return ep

    def _attempt(self, ep: Endpoint, fn: Callable[[], T]) -> T:
        trial = False
        try:
            with contextlib.ExitStack() as stack:
                with ep.lock:  # admission and pybreaker's state check happen together
                    trial = ep.admit()
                    stack.enter_context(ep.breaker.calling())
                result = fn()
        except pybreaker.CircuitBreakerError as exc:
            # Either this failure tripped the circuit (its cause is the context) or another thread did.
            cause = exc.__context__
            if cause is not None and counts_as_failure(cause):
                ep.last_error = str(cause)
            raise ep.unavailable() from (cause or exc)
        except ProviderUnavailable:
            raise
        except ProviderAuthError as exc:
            ep.last_error = str(exc)
            if ep.first_auth_error():
                log.error("%s: %s", ep.label, exc)  # noqa: TRY400 - one line, the cause is in the message
            raise
        except ProviderError as exc:
            ep.last_error = str(exc)
            raise
        finally:
            if trial:
                ep.trial_running = False
        ep.succeeded()
        return result


def _worth_retrying(exc: BaseException) -> bool:
    if not counts_as_failure(exc):
        return False  # 4xx, refused credentials, not found, or our own fail-fast: the same call fails again
    said = retry_after(exc)
    return said is None or said <= MAX_RETRY_AFTER_SECONDS


def _log_retry(label: str, policy: RetryPolicy) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        attempt, attempts, pause = state.attempt_number + 1, policy.attempts or 0, state.upcoming_sleep
        log.debug("%s: %s; attempt %d of %d in %.1f s", label, error, attempt, attempts, pause)

    return before_sleep
