"""Runs due escalation steps, in every worker process (like the inventory refresher), on the one timer mechanism
(`core.schedule.Ticker`): it waits until the next step is due or a change of the timers wakes it; every
`sweep_seconds` it also opens alerts whose opening never finished. While Redis is unreachable it tries again
every second, and the timers, being in Redis, are all still there when it answers."""

from __future__ import annotations

import time

from core.schedule import Ticker
from workers.escalation.engine import Escalator


class EscalationTicker:
    def __init__(self, escalator: Escalator, *, sweep_seconds: float = 15.0) -> None:
        self._escalator = escalator
        self._sweep_every = sweep_seconds
        self._next_sweep = 0.0
        self._ticker = Ticker("escalation", escalator.timers.due_times, self._tick, longest=sweep_seconds)

    def start(self) -> None:
        self._ticker.start()

    def stop(self, wait_seconds: float = 5.0) -> None:
        self._ticker.stop(wait_seconds)

    def _tick(self) -> float:
        """Run what is due; seconds until the next sweep."""
        self._escalator.run_due()
        now = time.monotonic()  # the sweep is a safety net on the machine's time, not a timer of the escalation
        if now >= self._next_sweep:
            self._next_sweep = now + self._sweep_every
            self._escalator.reopen_stalled()
        return self._next_sweep - now
