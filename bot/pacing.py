"""How a Deliverer keeps within a platform's limits: one FIFO lane per conversation (so its messages are never
reordered, and are spaced by the platform's per-conversation interval), one token bucket for the platform's
overall rate, and superseded edits dropped while they wait."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from core.models import Reply


@dataclass
class Entry:
    entry_id: str  # in the outbox stream, acknowledged once the reply is settled
    reply: Reply


@dataclass
class Lane:
    """One conversation's FIFO queue; a single task drains it, so its messages are never reordered."""

    queue: deque[Entry] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    last_send: float = float("-inf")  # monotonic time of the last attempt, for min_interval

    def busy(self) -> bool:
        return self.task is not None and not self.task.done()


class TokenBucket:
    """At most `rate` sends per second overall, in bursts of at most `capacity`."""

    def __init__(self, rate: float, capacity: float = 1.0) -> None:
        self._rate, self._capacity = rate, capacity
        self._tokens, self._stamp = capacity, time.monotonic()
        self._lock = asyncio.Lock()  # waiters queue in order instead of racing for the next token

    async def take(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self._tokens) / self._rate)


async def pace(lane: Lane, min_interval: float, bucket: TokenBucket | None) -> None:
    """Wait until the lane may send again (`min_interval` after its last attempt) and the bucket has a token."""
    wait = lane.last_send + min_interval - time.monotonic()
    if wait > 0:
        await asyncio.sleep(wait)
    if bucket is not None:
        await bucket.take()
    lane.last_send = time.monotonic()


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
