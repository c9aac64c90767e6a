"""How a Deliverer keeps within a platform's limits: one lane per conversation (so its messages are never
reordered among themselves) with its own token bucket (a person's few quick commands are answered at once, a
longer run at the platform's pace), one more bucket for the platform's overall rate, and superseded edits
dropped while they wait. Urgent replies (alert cards, notices, DR status) have their own queue in each lane and
go before its ordinary ones - a card is not part of a person's exchange with the bot - and urgent lanes take the
overall bucket's tokens first.

`TokenBucket` is opsbot's one bucket; every other rate limit is a `limits` window (core.rate_limits). A platform's
pace is a burst and then a rate that can be a fraction per second (Telegram: 30/s overall, 17 a minute in a group
after a burst of 3), emptied by a 429; `limits`' windows count whole seconds and let a whole window's worth go at
once, and they can be neither emptied nor ordered urgent-first.

The overall bucket is shared by the replicas through Redis (`SharedTokenBucket`): only the holder of a channel's
delivery lease sends, but in the second of a handover the one stopping may still finish a send while the one taking
over starts, and a fresh local bucket would give the platform a second burst. A conversation's bucket stays local:
its lane has one owner at a time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

import redis

from bot.channels import Rate
from core.models import Reply

log = logging.getLogger(__name__)
PACE_PREFIX = "opsbot:pace:"

# One token from the bucket in KEYS[1] (tokens, stamp), refilled up to ARGV[2] at ARGV[1] a second: "0" when taken,
# else the seconds until one will be there. The time is ARGV[3], or the server's: replicas whose clocks differ agree.
# A missing key is a full bucket, so the key lives only as long as refilling a whole burst takes.
_TAKE = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if now == nil then
    local t = redis.call('TIME')
    now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens, stamp = tonumber(state[1]) or burst, tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.9f', tokens), 'stamp', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


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
                wait = await self.try_take()
                if wait <= 0:
                    return
                await asyncio.sleep(wait)

    async def try_take(self) -> float:
        """One token now (0.0), or the seconds until there is one (nothing taken)."""
        missing = 1.0 - self._refill()
        if missing <= 0:
            self._tokens -= 1.0
            return 0.0
        return missing / self.rate.per_second

    async def _take_urgent(self) -> None:
        self._urgent += 1
        self._no_urgent.clear()
        try:
            async with self._urgent_lock:
                while (wait := await self.try_take()) > 0:
                    await asyncio.sleep(wait)
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


class SharedTokenBucket(TokenBucket):
    """A TokenBucket whose tokens are in Redis under `key`, shared by every process that paces the same thing;
    urgent takers of this process still go first. While Redis fails it counts in this process alone (the
    delivery lease stops sends soon after anyway). Only `take` and `try_take` are shared."""

    def __init__(
        self, rate: Rate, connection: redis.Redis, key: str, io: ThreadPoolExecutor,
        clock: Callable[[], float] | None = None,
    ) -> None:  # fmt: skip
        super().__init__(rate)
        self._script = connection.register_script(_TAKE)
        self._key = PACE_PREFIX + key
        self._io = io
        self._clock = clock  # unix seconds; None: the Redis server's time
        self._failing = False

    async def try_take(self) -> float:
        try:
            wait = float(await asyncio.get_running_loop().run_in_executor(self._io, self._take_in_redis))
        except redis.RedisError as exc:
            if not self._failing:
                log.warning("%s: shared pace unavailable (%s); pacing locally", self._key, type(exc).__name__)
            self._failing = True
            return await super().try_take()
        self._failing = False
        return wait

    def _take_in_redis(self) -> bytes | str:
        now = "" if self._clock is None else repr(self._clock())
        return cast(bytes | str, self._script(keys=[self._key], args=[self.rate.per_second, self.rate.burst, now]))


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
