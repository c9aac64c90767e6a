"""Runs due escalation steps, in every worker process (like the inventory refresher). It sleeps until the next
step is due or intake wakes it, at most `max_wait` seconds; while Redis is unreachable it waits and tries again,
and the timers, being in Redis, are all still there when it answers."""

from __future__ import annotations

import logging
import threading
import time

import redis

from workers.escalation.engine import Escalator

log = logging.getLogger(__name__)


class EscalationTicker:
    def __init__(self, escalator: Escalator, *, max_wait: float = 1.0, sweep_seconds: float = 15.0) -> None:
        self._escalator = escalator
        self._max_wait = max_wait
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="escalation", daemon=True)
        self._failing = False
        self._sweep_every = sweep_seconds
        self._swept = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self, wait_seconds: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=wait_seconds)

    def _run(self) -> None:
        timers = self._escalator.timers
        while not self._stop.is_set():
            try:
                self._escalator.run_due()
                if time.monotonic() - self._swept > self._sweep_every:
                    self._swept = time.monotonic()
                    self._escalator.reopen_stalled()
                due = timers.next_due()
                wait = self._max_wait if due is None else min(self._max_wait, due - time.time())
                if wait > 0:
                    timers.wait(wait)
                if self._failing:
                    log.warning("escalation: Redis answers again; timers resumed")
                    self._failing = False
            except redis.RedisError as exc:
                if not self._failing:
                    log.warning("escalation: Redis unreachable (%s); retrying every second", type(exc).__name__)
                self._failing = True
                self._stop.wait(1.0)
