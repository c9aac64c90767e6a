"""The escalation's time in a test: a `ManualClock` that an escalator runs on, moved forward by `later`, which
first waits until the escalation waits for its next step (so a step still being run is not skipped over) and
then wakes the ticker, which looks again at once."""

from __future__ import annotations

from tests.clock import ManualClock
from tests.eventually import eventually
from workers.escalation.engine import Escalator
from workers.escalation.timers import LEASE_SECONDS, Timers


class EscalationClock(ManualClock):
    def __init__(self, start: float | None = None) -> None:
        super().__init__(start)
        self._timers: Timers | None = None

    def drive(self, escalator: Escalator) -> None:
        """Run `escalator` on this clock (and the next `later` on its timers)."""
        escalator.clock = self
        self._timers = escalator.timers
        self._timers.wake()

    def later(self, seconds: float) -> None:
        timers = self._timers
        assert timers is not None, "drive() an escalator first"

        def waiting() -> bool:
            due = timers.next_due()  # a step being run is leased LEASE_SECONDS ahead
            return due is None or self.now < due < self.now + LEASE_SECONDS

        eventually(waiting, what="the escalation waiting for its next step")
        self.advance(seconds)
        timers.wake()
