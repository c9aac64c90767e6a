"""How a Deliverer keeps within a platform's limits: one lane per conversation (so its messages are never
reordered among themselves) with its own token bucket (a person's few quick commands are answered at once, a
longer run at the platform's pace), one more bucket for the platform's overall rate, and superseded edits
dropped while they wait. Urgent replies (alert cards, notices, DR status) have their own queue in each lane and
go before its ordinary ones - a card is not part of a person's exchange with the bot - and urgent lanes take the
overall bucket's tokens first.

`TokenBucket` is opsbot's one bucket; every other rate limit is a `limits` window (core.rate_limits). A platform's
pace is a burst and then a rate that can be a fraction per second (Telegram: 30/s overall, 17 a minute in a group
after a burst of 3), emptied by a 429; `limits`' windows count whole seconds and let a whole window's worth go at
once, and they can be neither emptied nor ordered urgent-first."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from bot.channels import Rate
from core.models import Reply


@dataclass
class Entry:
    entry_id: str  # in the outbox stream, acknowledged once the reply is settled
    reply: Reply
    urgent: bool = False  # read from the urgent stream


class TokenBucket:
    """At most `rate.burst` sends at once, refilled at `rate.per_second`. It starts full: a quiet
    conversation's first messages go out without waiting. Urgent takers are served before ordinary ones."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._tokens, self._stamp = float(rate.burst), time.monotonic()
        self._lock = asyncio.Lock()  # ordinary waiters queue in order instead of racing for the next token
        self._urgent_lock = asyncio.Lock()
        self._urgent = 0  # urgent takers waiting or taking
        self._no_urgent = asyncio.Event()
        self._no_urgent.set()

    async def take(self, *, urgent: bool = False) -> None:
        if urgent:
            await self._take_urgent()
            return
        async with self._lock:
            while True:
                await self._no_urgent.wait()
                missing = 1.0 - self._refill()
                if missing <= 0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep(missing / self.rate.per_second)

    async def _take_urgent(self) -> None:
        self._urgent += 1
        self._no_urgent.clear()
        try:
            async with self._urgent_lock:
                while (missing := 1.0 - self._refill()) > 0:
                    await asyncio.sleep(missing / self.rate.per_second)
                self._tokens -= 1.0
        finally:
            self._urgent -= 1
            if not self._urgent:
                self._no_urgent.set()

    def drain(self) -> None:
        """The platform said 429: whatever burst we thought was left is not, so what follows goes at its pace."""
        self._refill()
        self._tokens = 0.0

    def ready(self) -> bool:
        """A message could go now without waiting."""
        return self._refill() >= 1.0

    def full(self) -> bool:
        return self._refill() >= self.rate.burst

    def _refill(self) -> float:
        now = time.monotonic()
        self._tokens = min(float(self.rate.burst), self._tokens + (now - self._stamp) * self.rate.per_second)
        self._stamp = now
        return self._tokens


@dataclass
class Lane:
    """One conversation's queues; a single task drains them, urgent first, each in its own order."""

    bucket: TokenBucket | None  # the conversation's own limit, if the platform has one
    queue: deque[Entry] = field(default_factory=deque)  # ordinary replies
    urgent: deque[Entry] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None

    def add(self, entry: Entry) -> None:
        (self.urgent if entry.urgent else self.queue).append(entry)

    def waiting(self) -> int:
        return len(self.queue) + len(self.urgent)

    def next(self) -> Entry:
        return (self.urgent or self.queue).popleft()

    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def quiet(self) -> bool:
        """Nothing to send and its burst back in full: forgetting it loses nothing."""
        return not self.waiting() and not self.busy() and (self.bucket is None or self.bucket.full())


async def pace(lane: Lane, overall: TokenBucket | None) -> None:
    """Wait until both the conversation's bucket and the platform's overall bucket give a token; a lane with
    urgent replies waiting is served first by the overall bucket."""
    if lane.bucket is not None:
        await lane.bucket.take()
    if overall is not None:
        await overall.take(urgent=bool(lane.urgent))


def coalesce(lane: Lane, current: Entry) -> list[Entry]:
    """Queued edits of the message `current` edits, up to the next post, collapse into the newest of them:
    the final text is what matters. Returns them, newest last; they leave the queue."""
    target = current.reply.edit_of
    if target is None:
        return []
    queue = lane.urgent if current.urgent else lane.queue
    newer: list[Entry] = []
    for queued in queue:
        if queued.reply.edit_of is None:
            break  # a post keeps its place: nothing behind it moves ahead of it
        if queued.reply.edit_of == target:
            newer.append(queued)
    for queued in newer:
        queue.remove(queued)
    return newer
