"""How a Deliverer keeps within a platform's limits: one FIFO lane per conversation (so its messages are never
reordered) with its own token bucket (a person's few quick commands are answered at once, a longer run at the
platform's pace), one more bucket for the platform's overall rate, and superseded edits dropped while they wait."""

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


class TokenBucket:
    """At most `rate.burst` sends at once, refilled at `rate.per_second`. It starts full: a quiet
    conversation's first messages go out without waiting."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._tokens, self._stamp = float(rate.burst), time.monotonic()
        self._lock = asyncio.Lock()  # waiters queue in order instead of racing for the next token

    async def take(self) -> None:
        async with self._lock:
            while (missing := 1.0 - self._refill()) > 0:
                await asyncio.sleep(missing / self.rate.per_second)
            self._tokens -= 1.0

    def drain(self) -> None:
        """The platform said 429: whatever burst we thought was left is not, so what follows goes at its pace."""
        self._refill()
        self._tokens = 0.0

    def full(self) -> bool:
        return self._refill() >= self.rate.burst

    def _refill(self) -> float:
        now = time.monotonic()
        self._tokens = min(float(self.rate.burst), self._tokens + (now - self._stamp) * self.rate.per_second)
        self._stamp = now
        return self._tokens


@dataclass
class Lane:
    """One conversation's FIFO queue; a single task drains it, so its messages are never reordered."""

    bucket: TokenBucket | None  # the conversation's own limit, if the platform has one
    queue: deque[Entry] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None

    def busy(self) -> bool:
        return self.task is not None and not self.task.done()

    def quiet(self) -> bool:
        """Nothing to send and its burst back in full: forgetting it loses nothing."""
        return not self.queue and not self.busy() and (self.bucket is None or self.bucket.full())


async def pace(lane: Lane, overall: TokenBucket | None) -> None:
    """Wait until both the conversation's bucket and the platform's overall bucket give a token."""
    if lane.bucket is not None:
        await lane.bucket.take()
    if overall is not None:
        await overall.take()


def coalesce(lane: Lane, current: Entry) -> list[Entry]:
    """Queued edits of the message `current` edits, up to the next post, collapse into the newest of them:
    the final text is what matters. Returns them, newest last; they leave the queue."""
    target = current.reply.edit_of
    if target is None:
        return []
    newer: list[Entry] = []
    for queued in lane.queue:
        if queued.reply.edit_of is None:
            break  # a post keeps its place: nothing behind it moves ahead of it
        if queued.reply.edit_of == target:
            newer.append(queued)
    for queued in newer:
        lane.queue.remove(queued)
    return newer
