"""Escalation timers in Redis, so they survive any process: a sorted set of alert numbers by the time their next
step is due, and per alert the cursor of that step. A process claims a due alert by pushing its time a lease
ahead (one process per step; if it dies mid-step, the step runs again when the lease ends), then sets the time
of the following step, or removes the alert when its escalation is over. The sorted set, its claim and its
wake-up are `core.schedule`'s, the one timer mechanism.

A claim, or the following step's time, written just before a Redis failover can be lost with it, and the step
then runs again. So an SMS or a call is only made once its page token is marked as paged on every replica a
failover could promote (`hold_page`): the step run again finds the mark and does not page twice."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import redis

from core.once import DURABLE, Hold, hold_once
from core.retrying import RetryPolicy
from core.schedule import Clock, Schedule

PREFIX = "opsbot:esc:"
_DUE = PREFIX + "due"
_WAKE = PREFIX + "wake"
LEASE_SECONDS = 60.0
PAGED_SECONDS = 24 * 3600  # a page's mark outlives any re-run of its step (one lease later)


@dataclass(frozen=True)
class Pending:
    """The step an alert waits for: where in its policy (`cursor`, JSON-ready) and the page token to use."""

    policy: str
    cursor: dict[str, int]
    token: str
    started: float  # when the escalation began


class Timers:
    """`clock` is the escalation's: the escalator hands it its own, so a test that moves the escalator's time
    moves these timers' with it."""

    def __init__(self, connection: redis.Redis, *, clock: Clock = time.time, patience: RetryPolicy = DURABLE) -> None:
        """`patience`: how long a page waits for Redis to confirm its mark is safe before it is postponed."""
        self._redis = connection
        self.patience = patience
        self.due_times = Schedule(connection, _DUE, _WAKE, clock=clock)

    @property
    def clock(self) -> Clock:
        return self.due_times.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self.due_times.clock = clock

    def schedule(self, number: int, pending: Pending, due: float) -> None:
        pipe = self._redis.pipeline()
        pipe.hset(_state(number), mapping={"pending": json.dumps(pending.__dict__)})
        self.due_times.set({str(number): due}, pipe=pipe)
        pipe.execute()

    def pending(self, number: int) -> Pending | None:
        raw = self._redis.hget(_state(number), "pending")
        return Pending(**json.loads(raw)) if raw else None

    def stop(self, number: int) -> bool:
        """The escalation of this alert is over (acknowledged, resolved, exhausted). True if one was running."""
        pipe = self._redis.pipeline()
        self.due_times.remove(str(number), pipe)
        pipe.delete(_state(number))
        removed, _ = pipe.execute()
        return bool(removed)

    def hold_page(self, token: str) -> Hold:
        """May the page `token` be sent now? OURS: yes, and no re-run of its step will send it again; TAKEN: an
        earlier run of the step sent it; UNSURE: Redis is failing over: leave the claim to run out, and retry."""
        return hold_once(self._redis, f"{PREFIX}paged:{token}", ttl=PAGED_SECONDS, patience=self.patience)

    def pause_until(self, number: int, until: float) -> None:
        """A silence: the pending step waits until `until` (if an escalation is running)."""
        self.due_times.move(str(number), until)

    def hurry(self, number: int, token: str | None = None) -> bool:
        """Run the pending step now (a page failed, or someone pressed 9). With `token`, only if the pending step
        is still the one after that page: a late status callback of an older page changes nothing. A page that
        failed before its step finished (a call to a dead number fails within a second, while the step is still
        writing its audit) is remembered, and `schedule_after` runs the next step at once."""
        if token is not None:
            pending = self.pending(number)
            if pending is not None and pending.token == token:  # its step has not scheduled the next one yet
                self._redis.set(_failed_early(token), 1, ex=int(LEASE_SECONDS * 2))
                return False
            if pending is None or pending.token != _next_of(token):
                return False
        return self.due_times.move(str(number), self.clock())

    def schedule_after(self, number: int, page_token: str, pending: Pending, due: float) -> None:
        """`schedule` the step after the page `page_token`, at once if that page already failed (`hurry`)."""
        if self._redis.delete(_failed_early(page_token)):
            due = min(due, self.clock())
        self.schedule(number, pending, due)

    def due(self, limit: int = 50) -> list[int]:
        """Claim the alerts whose step is due now (each runs in one process; again if that one dies)."""
        return [int(n) for n in self.due_times.claim(LEASE_SECONDS, limit)]

    def next_due(self) -> float | None:
        return self.due_times.next_due()

    def wake(self) -> None:
        """Look again at once (a test moved the clock forward)."""
        self.due_times.wake()

    def running(self) -> int:
        return self.due_times.count()


def page_token(number: int, step_count: int) -> str:
    """The token of the `step_count`-th page of an alert's escalation."""
    return f"{number}.{step_count}"


def _next_of(token: str) -> str:
    number, _, count = token.partition(".")
    return f"{number}.{int(count) + 1}" if count.isdigit() else ""


def _failed_early(token: str) -> str:
    return f"{PREFIX}failed-early:{token}"


def _state(number: int) -> str:
    return f"{PREFIX}{number}"
