"""Delivers a channel's outbox to its platform: in order per conversation, within the platform's rate
limits, at least once. The stream is read through a Redis consumer group, and an entry is acknowledged only
once it has been sent (or given up on), so a restarted `opsbot serve` carries on where the last one stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

import redis
from pydantic import ValidationError
from redis.typing import KeyT, StreamIdT
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential

from bot.channels import DeliveryFailed, RetryAfter, Transport
from core import metrics
from core.models import Reply
from core.outbox import STREAM_PREFIX, Outbox

log = logging.getLogger(__name__)

GROUP = "opsbot-deliver"
MSGID_PREFIX = "opsbot:msgid:"
MSGID_TTL_SECONDS = 7 * 24 * 3600
ATTEMPTS = 5  # a message failing this often is skipped, so one bad reply cannot block a conversation
_LOCAL_IDS = 10_000  # recent key -> platform id pairs kept in memory as well
_LANES = 1_000  # conversations remembered before quiet ones are forgotten
_T = TypeVar("_T")
# Error texts of HTTP clients can carry the URL, and Telegram puts the bot token in the URL path.
_SECRETS = re.compile(r"bot\d+:[\w-]+|xox[a-z]-[\w-]+|xapp-[\w-]+", re.IGNORECASE)


@dataclass
class _Entry:
    entry_id: str
    reply: Reply


@dataclass
class _Lane:
    """One conversation's FIFO queue; a single task drains it, so its messages are never reordered."""

    queue: deque[_Entry] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None
    last_send: float = float("-inf")  # monotonic time of the last attempt, for min_interval


class _TokenBucket:
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


class Deliverer:
    """Sends one channel's outbox through its transport. One instance runs once (run() until stop()); the
    consumer name is stable, so the next instance takes over what this one read and did not finish."""

    def __init__(
        self, transport: Transport, outbox: Outbox, connection: redis.Redis, *, consumer: str = "serve",
        block_ms: int = 100, backoff_seconds: float = 0.5, drain_seconds: float = 5.0,
    ) -> None:  # fmt: skip
        self.transport = transport
        self._outbox = outbox  # the writing side of the stream read here
        self._redis = connection
        self._stream = STREAM_PREFIX + transport.name
        self._consumer = consumer
        self._block_ms = block_ms
        self._backoff = backoff_seconds
        self._drain_seconds = drain_seconds
        rate = transport.per_second()
        self._bucket = _TokenBucket(rate) if rate else None
        self._lanes: dict[tuple[str, str], _Lane] = {}
        self._ids: OrderedDict[str, str] = OrderedDict()
        # Own threads: the blocking read must not take a slot of the default pool the Inbox handles messages on.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"deliver-read-{transport.name}")
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"deliver-io-{transport.name}")
        self._stopping = asyncio.Event()
        self._finished = asyncio.Event()
        self._running = False
        self._read_failing = False
        self._join_group()  # now, so that what is published from here on is ours to deliver

    # -- lifecycle -----------------------------------------------------------------------------------
    async def run(self) -> None:
        """Deliver until stop(): first what an earlier run read but did not finish, then new entries."""
        self._running = True
        try:
            await self._read_loop(pending=True)
            await self._read_loop(pending=False)
            await self._drain()
        finally:
            await self._cancel_lanes()  # when run() itself was cancelled instead of stopped
            self._reader.shutdown(wait=False)
            await asyncio.to_thread(self._io.shutdown)  # ids still being stored must land before we return
            self._finished.set()

    async def stop(self) -> None:
        """Stop reading, give queued messages `drain_seconds` to go out, then return. Anything unsent stays
        pending in the group and is delivered by the next run."""
        self._stopping.set()
        if self._running:
            await self._finished.wait()

    def idle(self) -> bool:
        """Nothing queued or in flight, and everything in the stream read and acknowledged."""
        if any(lane.queue or (lane.task is not None and not lane.task.done()) for lane in self._lanes.values()):
            return False
        try:
            groups = self._redis.xinfo_groups(self._stream)
            last = _text(self._redis.xinfo_stream(self._stream)["last-generated-id"])
        except redis.ResponseError:  # no stream: the group is gone too, and run() is joining again
            return False
        group = next((g for g in groups if _text(g["name"]) == GROUP), None)
        return group is not None and not group["pending"] and _text(group["last-delivered-id"]) == last

    # -- reading -------------------------------------------------------------------------------------
    def _join_group(self, start: str = "$") -> None:
        try:
            self._redis.xgroup_create(self._stream, GROUP, id=start, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _read_loop(self, *, pending: bool) -> None:
        cursor = "0-0" if pending else ">"
        while not self._stopping.is_set():
            try:
                batch = await self._in(self._reader, partial(self._read, cursor))
            except redis.RedisError as exc:
                await self._read_failed(exc)
                continue
            if self._read_failing:
                log.warning("%s outbox: reading again", self.transport.name)
                self._read_failing = False
            if pending and not batch:
                return  # the backlog of the previous run is handed out
            for entry_id, reply in batch:
                cursor = entry_id if pending else cursor
                if reply is None:
                    await self._ack([entry_id])  # trimmed away or unreadable: nothing to deliver
                else:
                    self._dispatch(_Entry(entry_id, reply))

    async def _read_failed(self, exc: redis.RedisError) -> None:
        if not self._read_failing:  # once per outage, not once a second
            log.warning("%s outbox: Redis read failed (%s); retrying", self.transport.name, type(exc).__name__)
        self._read_failing = True
        if isinstance(exc, redis.ResponseError):
            # Redis lost the group (flushed, or restarted without persistence): whatever the stream holds now
            # was published since then, so the new group starts at its beginning.
            with contextlib.suppress(redis.RedisError):
                await self._in(self._io, partial(self._join_group, "0"))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), 1.0)

    def _read(self, cursor: str) -> list[tuple[str, Reply | None]]:
        """Entries after `cursor` in this consumer's pending list, or new ones (">"), waiting a little for those."""
        block = self._block_ms if cursor == ">" else None
        streams: dict[KeyT, StreamIdT] = {self._stream: cursor}
        raw = cast(list[Any], self._redis.xreadgroup(GROUP, self._consumer, streams, count=200, block=block))
        out: list[tuple[str, Reply | None]] = []
        for _stream, entries in raw or []:
            for entry_id, fields in entries:
                out.append((_text(entry_id), _reply_of(fields)))
        return out

    def _dispatch(self, entry: _Entry) -> None:
        key = (entry.reply.ref.channel, entry.reply.ref.conversation_id)
        if key not in self._lanes and len(self._lanes) >= _LANES:
            self._forget_quiet_lanes()
        lane = self._lanes.setdefault(key, _Lane())
        lane.queue.append(entry)
        if lane.task is None or lane.task.done():
            lane.task = asyncio.create_task(self._drain_lane(lane), name=f"deliver-{key[1]}")

    def _forget_quiet_lanes(self) -> None:
        quiet_since = time.monotonic() - 60.0  # far longer than any platform's per-conversation interval
        for key, lane in list(self._lanes.items()):
            if not lane.queue and (lane.task is None or lane.task.done()) and lane.last_send < quiet_since:
                del self._lanes[key]

    async def _drain(self) -> None:
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None and not lane.task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=self._drain_seconds)

    async def _cancel_lanes(self) -> None:
        late = [lane.task for lane in self._lanes.values() if lane.task is not None and not lane.task.done()]
        for task in late:
            task.cancel()  # unacknowledged: the next run sends it
        await asyncio.gather(*late, return_exceptions=True)

    # -- sending -------------------------------------------------------------------------------------
    async def _drain_lane(self, lane: _Lane) -> None:
        while lane.queue:
            entry = lane.queue.popleft()
            await self._deliver(lane, entry)

    async def _deliver(self, lane: _Lane, entry: _Entry) -> None:
        sent = [entry]  # entries this send settles: the one sent and the edits it superseded

        async def attempt() -> None:
            while True:
                await self._pace(lane, entry.reply)
                sent.extend(_coalesce(lane, sent[-1]))
                try:
                    await self._send(sent[-1].reply)
                except RetryAfter as exc:
                    await asyncio.sleep(exc.seconds)  # the lane waits; the same message goes again
                else:
                    return

        try:
            retrying = AsyncRetrying(
                stop=stop_after_attempt(ATTEMPTS),
                wait=wait_exponential(multiplier=self._backoff, max=self._backoff * 16),
                retry=retry_if_exception(_worth_retrying),
                reraise=True,
            )
            await retrying(attempt)
            metrics.observe("delivery", max(0.0, time.time() - _entry_seconds(sent[-1].entry_id)))
        except DeliveryFailed as exc:
            reply = sent[-1].reply
            log.warning("%s refused reply %s to %s: %s", self.transport.name, reply.key, _where(reply), _clean(exc))
        except Exception as exc:  # any failure: after ATTEMPTS the conversation must move on
            reply = sent[-1].reply
            log.warning(
                "%s: gave up on reply %s to %s after %d attempts: %s: %s",
                self.transport.name, reply.key, _where(reply), ATTEMPTS, type(exc).__name__, _clean(exc),
            )  # fmt: skip
        await self._ack([e.entry_id for e in sent])

    async def _pace(self, lane: _Lane, reply: Reply) -> None:
        wait = lane.last_send + self.transport.min_interval(reply.ref) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        if self._bucket is not None:
            await self._bucket.take()
        lane.last_send = time.monotonic()

    async def _send(self, reply: Reply) -> None:
        if reply.edit_of is None:
            self._remember(reply.key, await self.transport.post(reply))
            return
        message_id = await self._platform_id(reply.edit_of)
        if message_id is None:  # sent before the map existed, or expired: a new message beats none
            message_id = await self.transport.post(reply)
            self._remember(reply.edit_of, message_id)
        else:
            await self.transport.edit(reply, message_id)

    # -- our key -> platform message id --------------------------------------------------------------
    def _remember(self, key: str, message_id: str) -> None:
        self._ids[key] = message_id
        while len(self._ids) > _LOCAL_IDS:
            self._ids.popitem(last=False)
        # Not awaited: a slow or failing Redis must never turn one post into two through a retry.
        self._io.submit(self._store_id, key, message_id)

    def _store_id(self, key: str, message_id: str) -> None:
        try:
            self._redis.set(self._id_key(key), message_id, ex=MSGID_TTL_SECONDS)
        except redis.RedisError as exc:
            log.warning("%s: could not store the id of reply %s: %s", self.transport.name, key, type(exc).__name__)

    async def _platform_id(self, key: str) -> str | None:
        if key in self._ids:
            return self._ids[key]
        raw = await self._in(self._io, lambda: self._redis.get(self._id_key(key)))
        return None if raw is None else _text(raw)

    def _id_key(self, key: str) -> str:
        return f"{MSGID_PREFIX}{self.transport.name}:{key}"

    async def _ack(self, entry_ids: list[str]) -> None:
        try:
            await self._in(self._io, lambda: self._redis.xack(self._stream, GROUP, *entry_ids))
        except redis.RedisError as exc:  # stays pending: the next run sends it again (at least once)
            name = type(exc).__name__
            log.warning("%s: could not acknowledge %d entries: %s", self.transport.name, len(entry_ids), name)

    async def _in(self, pool: ThreadPoolExecutor, call: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(pool, call)


def _coalesce(lane: _Lane, current: _Entry) -> list[_Entry]:
    """Queued edits of the message `current` edits, up to the next post, collapse into the newest of them:
    the final text is what matters. Returns them, newest last; they leave the queue."""
    target = current.reply.edit_of
    if target is None:
        return []
    newer: list[_Entry] = []
    for queued in lane.queue:
        if queued.reply.edit_of is None:
            break  # a post keeps its place: nothing behind it moves ahead of it
        if queued.reply.edit_of == target:
            newer.append(queued)
    for queued in newer:
        lane.queue.remove(queued)
    return newer


def _worth_retrying(exc: BaseException) -> bool:
    # tenacity sees BaseException too: a cancelled send (stop() after the drain time) must stay cancelled.
    return isinstance(exc, Exception) and not isinstance(exc, DeliveryFailed)


def _reply_of(fields: dict[bytes, bytes] | None) -> Reply | None:
    raw = (fields or {}).get(b"reply")
    if raw is None:
        return None
    try:
        return Reply.model_validate_json(raw)
    except ValidationError:
        log.warning("outbox entry is not a reply; skipped")
        return None


def _entry_seconds(entry_id: str) -> float:
    return int(entry_id.partition("-")[0]) / 1000


def _where(reply: Reply) -> str:
    return f"{reply.ref.channel}:{reply.ref.conversation_id}"


def _clean(exc: BaseException) -> str:
    return _SECRETS.sub("[secret]", str(exc))[:200]


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
