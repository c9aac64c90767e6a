"""A clock that moves only when the test says so, for code that takes a clock (`core.schedule`, the escalation,
the inventory store): the test moves time forward instead of sleeping, and then wakes the waiter it concerns."""

from __future__ import annotations

import time


class ManualClock:
    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now
