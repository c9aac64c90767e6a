"""One circuit breaker per cloud endpoint, with the bookkeeping a status reply needs.

pybreaker decides closed / open / half-open and counts consecutive failures. This module adds what a chat-ops
bot needs on top: the endpoint's human label in each log line, a single trial call while half-open (pybreaker
lets every concurrent caller through), when the circuit opened, and the last error text a user may read.

Only transient errors (throttling, 5xx, timeouts) count as failures. Any other error still shows the endpoint
answered, so pybreaker treats it as a success: it does not count, and it ends a streak of failures."""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC, datetime
from typing import Literal

import pybreaker

from core.errors import ProviderUnavailable, TransientProviderError
from core.models import Frozen

log = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half-open"]


class EndpointHealth(Frozen):
    """What a status reply says about one endpoint ("AWS prod us-east-1: open since 10:42, 5 failures")."""

    endpoint: str
    label: str
    state: BreakerState
    failures: int  # consecutive transient failures
    opened_at: datetime | None  # when the circuit last opened (UTC), None while closed
    last_error: str | None  # the last error's sentence, kept after recovery


def counts_as_failure(exc: BaseException) -> bool:
    """A failure says the endpoint is unwell; our own fail-fast error says nothing new about it."""
    return isinstance(exc, TransientProviderError) and not isinstance(exc, ProviderUnavailable)


class Endpoint:
    """The breaker of one endpoint. `lock` guards admission; the guarded call itself runs outside it."""

    def __init__(self, key: str, label: str, fail_max: int, reset_seconds: float) -> None:
        self.key = key
        self.label = label
        self.lock = threading.Lock()
        self.reset_seconds = reset_seconds
        self.trial_running = False
        self.opened_clock: float | None = None  # time.monotonic() when it opened: immune to clock changes
        self.opened_at: datetime | None = None
        self.last_error: str | None = None
        self.auth_error_logged = False
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_seconds,
            exclude=[lambda exc: not counts_as_failure(exc)],
            listeners=[_StateLog(self)],
            name=key,
        )

    def admit(self) -> bool:
        """Called with `lock` held. Raises ProviderUnavailable while open, or while another caller runs the
        half-open trial. Returns True when this caller is the trial (it must clear `trial_running` after)."""
        state = self.breaker.current_state
        if state == pybreaker.STATE_OPEN:
            if self.paused_seconds() > 0:
                raise self.unavailable()
            self.breaker.half_open()
            state = pybreaker.STATE_HALF_OPEN
        if state == pybreaker.STATE_HALF_OPEN:
            if self.trial_running:
                raise self.unavailable()
            self.trial_running = True
            return True
        return False

    def paused_seconds(self) -> float:
        if self.breaker.current_state != pybreaker.STATE_OPEN or self.opened_clock is None:
            return 0.0
        return max(0.0, self.opened_clock + self.reset_seconds - time.monotonic())

    def unavailable(self) -> ProviderUnavailable:
        wait = max(1, math.ceil(self.paused_seconds()))
        return ProviderUnavailable(f"{self.label} is failing; calls paused for {wait} s", retry_after=wait)

    def first_auth_error(self) -> bool:
        """True once per run of refused credentials: a refresher retrying every minute logs one line."""
        with self.lock:
            first = not self.auth_error_logged
            self.auth_error_logged = True
        return first

    def succeeded(self) -> None:
        self.auth_error_logged = False

    def state(self) -> BreakerState:
        """Open past its reset time reads as half-open: the next call is the trial."""
        state = self.breaker.current_state
        if state == pybreaker.STATE_OPEN:
            return "open" if self.paused_seconds() > 0 else "half-open"
        return "half-open" if state == pybreaker.STATE_HALF_OPEN else "closed"

    def health(self) -> EndpointHealth:
        return EndpointHealth(
            endpoint=self.key,
            label=self.label,
            state=self.state(),
            failures=self.breaker.fail_counter,
            opened_at=self.opened_at if self.breaker.current_state != pybreaker.STATE_CLOSED else None,
            last_error=self.last_error,
        )


class _StateLog(pybreaker.CircuitBreakerListener):
    """One log line per state change, and the time it opened. Runs under pybreaker's lock: it must not take
    `Endpoint.lock` (admission holds that lock while it calls into pybreaker)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._endpoint = endpoint

    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        if old_state is None or old_state.name == new_state.name:
            return  # pybreaker re-opens an open circuit when a call that started earlier fails
        ep = self._endpoint
        if new_state.name == pybreaker.STATE_OPEN:
            ep.opened_clock = time.monotonic()
            ep.opened_at = datetime.now(UTC)
            if old_state.name == pybreaker.STATE_HALF_OPEN:
                log.warning("%s: trial call failed; circuit open again", ep.label)
            else:
                log.warning("%s: circuit open after %d failures", ep.label, cb.fail_counter)
        elif new_state.name == pybreaker.STATE_HALF_OPEN:
            log.info("%s: circuit half-open; trying one call", ep.label)
        else:
            log.info("%s: circuit closed again", ep.label)
