"""`RateLimiter`: a client-side limit per endpoint, so a burst of page requests is spread over time here
instead of being throttled (429, then backoff) by the cloud.

A moving window (`core.rate_limits`, in memory): at most `amount` requests in any `window` seconds per endpoint.
`limits` counts whole-second windows, so `burst` is rounded up to a whole number of seconds' worth of requests."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from core.rate_limits import Limit, in_memory

log = logging.getLogger(__name__)


class RateLimiter:
    """Implements `actions.backend.Throttle`. Per endpoint, per process, thread-safe. `wait` blocks until a
    request is allowed, but never longer than `max_wait` seconds: a stuck limiter must not stall a refresh."""

    def __init__(
        self,
        per_second: float,
        burst: int | None = None,
        *,
        max_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        wanted_burst = max(1.0, float(burst) if burst else per_second)
        window = max(1, math.ceil(wanted_burst / per_second - 1e-9))
        self.item = Limit(max(1, math.floor(per_second * window + 1e-9)), window)
        self._windows = in_memory()
        # limits' memory storage locks per key but drops those locks while expiring entries; one lock here
        # keeps "hit, else read when the window frees" exact under many threads (each hold is microseconds).
        self._lock = threading.Lock()
        self._max_wait = max_wait
        self._sleep = sleep
        self._capped: set[str] = set()

    def wait(self, endpoint: str) -> None:
        waited = 0.0
        while True:
            with self._lock:
                pause = self._windows.hit(self.item, endpoint)
                if pause is None:
                    self._capped.discard(endpoint)
                    return
                first_cap = waited >= self._max_wait and endpoint not in self._capped
                if first_cap:
                    self._capped.add(endpoint)
            if waited >= self._max_wait:
                if first_cap:  # once until a request gets through in time, so a backlog logs one line
                    log.warning("%s: waited %.0f s for the client-side rate limit; sending anyway", endpoint, waited)
                return
            pause = min(pause, self._max_wait - waited)
            self._sleep(pause)
            waited += pause
