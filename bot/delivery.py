"""Delivers a channel's outbox to its platform: in order per conversation, within the platform's rate
limits (a short burst, then its pace; a 429 is waited out and the message sent again), at least once. The
stream is read through a Redis consumer group, and an entry is acknowledged only once it has been sent (or
given up on), so a restarted `opsbot serve` carries on where the last one stopped. Urgent replies (alert cards,
notices, DR status) are read from their own stream and go first; a burst of cards becomes a digest (bot/digest.py);
what a platform refuses for good, or what fails ATTEMPTS times, goes to the channel's dead-letter list.

Many replicas: one delivers a channel at a time, every other stands by. The platforms, not our CPU, bound delivery
(Telegram about 30 messages a second per bot, Slack about one a second per channel plus its workspace tiers), and
one process sends a channel far faster than they accept; parallel senders of one channel would buy nothing and
would need conversations' lanes owned across processes to keep their order. So the replicas share the inbound work
(parsing, voice, policies, jobs) and a channel's delivery goes through a lease (core.leases): its holder reads and
sends, renewing it about every second; a holder that dies, is paused or loses Redis stops sending before another
can take over, and the next holder first claims everything still pending in the group, delivering it in entry
order. On a clean stop the holder finishes its sends and releases the lease, so a standby takes over at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import redis
from prometheus_client import Counter, Gauge

from bot.channels import DeliveryFailed, RetryAfter, Transport
from bot.charts import render_png
from bot.digest import DIGESTED, digest_of, take_cards
from bot.message_ids import MSGID_PREFIX as MSGID_PREFIX
from bot.message_ids import MSGID_TTL_SECONDS as MSGID_TTL_SECONDS
from bot.message_ids import MessageIds
from bot.pacing import Entry, Lane, SharedTokenBucket, TokenBucket, coalesce, pace
from core import blobs, metrics
from core.errors import OpsbotError
from core.leases import Lease
from core.models import Reply
from core.outbox import Outbox, delivery_lease
from core.redaction import redact_text
from core.retrying import RetryPolicy
from core.untrusted import for_chat

log = logging.getLogger(__name__)

GROUP = "opsbot-deliver"
ATTEMPTS = 5  # a message failing this often (429s aside) is skipped, so one bad reply cannot block a conversation
SEND_GRACE_SECONDS = 5.0  # at a stop, for a send under way to finish
_LANES = 1_000  # conversations remembered before quiet ones are forgotten
# Ordinary replies held in memory before reading more of them waits (urgent ones are always read): a bound on
# memory far above a normal backlog, so conversations never wait on each other below it.
MAX_HELD = 50_000
# The delivery lease: held for LEASE_SECONDS from each renewal, renewed every fifth of it, and no send is started
# with less than SEND_MARGIN of it left by the local clock - so a holder that is paused or cut off from Redis has
# stopped starting sends that much before another replica can take the channel over.
LEASE_SECONDS = 5.0
RENEW_SHARE, MARGIN_SHARE = 0.2, 0.4  # of the lease's time: renewed every 1 s, sends stop with 2 s left
HANDOVER_PREFIX = "opsbot:deliver:handover:"  # a released lease is announced here, so a standby wakes at once
# The keys under which a reply's picture and file are remembered: its own key and this.
PICTURE_SUFFIX, FILE_SUFFIX = "#chart", "#file"
SWEEP_SECONDS = 5.0  # how often the holder looks for entries a paused former holder read after losing the lease

QUEUED = Gauge("opsbot_delivery_queued", "Replies read from the outbox and not yet sent.", ["channel", "urgency"])
LEADER = Gauge("opsbot_delivery_leader", "1 while this replica delivers the channel (holds its lease).", ["channel"])
ALREADY_POSTED = Counter(
    "opsbot_delivery_already_posted",
    "Replies handed out again after a restart or a handover that had gone out: not posted twice.",
    ["channel"],
)
_T = TypeVar("_T")


class Deliverer:
    """Sends one channel's outbox through its transport while it holds the channel's delivery lease, and stands
    by while another replica does. One instance runs once (run() until stop()); `consumer` names this replica
    (core.leases.replica_name) - in the group and as the lease's holder. Whoever takes the lease next takes over
    what this one read and did not finish."""

    def __init__(
        self, transport: Transport, outbox: Outbox, connection: redis.Redis, *, consumer: str = "serve",
        block_ms: int = 100, backoff_seconds: float = 0.5, drain_seconds: float = 5.0,
        on_result: Callable[[str, str | None], None] | None = None, result_prefix: str = "alert-",
        lease_seconds: float = LEASE_SECONDS,
    ) -> None:  # fmt: skip
        self.transport = transport
        self._outbox = outbox
        self._channel = transport.name
        self._consumer = consumer
        self._block_ms = block_ms
        self._drain_seconds = drain_seconds
        # Told (reply key, None or the error) when a reply whose key has `result_prefix` is sent, and at its first
        # failure: an alert's escalation moves on through other channels at once when chat is down.
        self._on_result = on_result
        self._result_prefix = result_prefix
        self._results = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"deliver-result-{transport.name}")
        # The lease and the shared pace have a thread of their own: a renewal never waits behind a slow read or ack.
        self._leasing = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"deliver-lease-{transport.name}")
        self._connection = connection
        self._lease = Lease(connection, delivery_lease(transport.name), consumer, ttl_seconds=lease_seconds)
        self._renew_every = lease_seconds * RENEW_SHARE
        self._margin = lease_seconds * MARGIN_SHARE
        self._lost = asyncio.Event()  # set when this replica's turn ends: the lease lost, or not renewed in time
        self._leading = False
        overall = transport.overall_rate()
        self._bucket = SharedTokenBucket(overall, connection, transport.name, self._leasing) if overall else None
        # A 429 is waited out as the platform says and does not count as a failure; anything else backs off.
        # No jitter: one Deliverer per channel, and the lane holds the conversation's order while it waits.
        self._retry = RetryPolicy(
            attempts=ATTEMPTS, first=backoff_seconds, most=backoff_seconds * 16, jitter=False, throttles_count=False
        )
        self._lanes: dict[tuple[str, str], Lane] = {}
        self._settling: set[asyncio.Task[None]] = set()
        # Sends under way: a stop does not cut one between the platform taking a message and its id being stored
        # (the next run would post it again); it finishes, and its entry stays pending, recognised as sent.
        self._sending: set[asyncio.Future[None]] = set()
        # Own threads: the blocking read must not take a slot of the default pool the Inbox handles messages on.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"deliver-read-{transport.name}")
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"deliver-io-{transport.name}")
        self._ids = MessageIds(connection, transport.name, self._io)
        self._stopping = asyncio.Event()
        self._finished = asyncio.Event()
        self._running = False
        self._read_failing = False
        self._join_group()  # now, so that what is published from here on is ours to deliver

    # -- lifecycle -----------------------------------------------------------------------------------
    async def run(self) -> None:
        """Deliver until stop() whenever this replica holds the channel's lease; stand by while another does.
        A stop releases the lease once the sends under way have finished; a cancelled run ends like a crash:
        the lease runs out and another replica takes over what is pending."""
        self._running = True
        LEADER.labels(self._channel).set(0)  # standing by, until the lease is ours
        try:
            while await self._await_lease():
                await self._lead()
            await self._release()
        finally:
            await self._cancel_lanes()  # when run() itself was cancelled instead of stopped
            await self._finish_sends()
            await asyncio.gather(*self._settling, return_exceptions=True)  # their acks land before we return
            self._reader.shutdown(wait=False)
            self._leasing.shutdown(wait=False)
            await asyncio.to_thread(self._results.shutdown)
            await asyncio.to_thread(self._io.shutdown)  # ids still being stored must land before we return
            self._finished.set()

    async def stop(self) -> None:
        """Stop reading, give queued messages `drain_seconds` to go out, hand the lease over, then return.
        Anything unsent stays pending in the group, for the next holder."""
        self._stopping.set()
        if self._running:
            await self._finished.wait()

    def idle(self) -> bool:
        """Nothing queued or in flight, and everything in the streams read and acknowledged (by whichever
        replica delivers the channel)."""
        if any(lane.waiting() or lane.busy() for lane in self._lanes.values()):
            return False
        return self._outbox.group_caught_up(self._channel, GROUP)  # no group: run() is joining again

    @property
    def leading(self) -> bool:
        """This replica delivers the channel now."""
        return self._leading

    # -- the lease -----------------------------------------------------------------------------------
    async def _await_lease(self) -> bool:
        """Until this replica holds the channel's lease (True) or stop() is called (False). Between tries it
        waits on the handover list, so a lease released by a clean stop is taken at once."""
        failing = False
        while not self._stopping.is_set():
            try:
                if await self._unless_stopped(self._leasing, self._lease.take):
                    return True
                if not self._stopping.is_set():
                    await self._unless_stopped(self._reader, self._wait_for_handover)
                failing = False
            except redis.RedisError as exc:
                if not failing:
                    log.warning("%s delivery: cannot take the lease (%s); retrying", self._channel, type(exc).__name__)
                failing = True
                await _pause(self._renew_every, self._stopping)
        return False

    def _wait_for_handover(self) -> None:
        self._connection.blpop([HANDOVER_PREFIX + self._channel], timeout=min(self._renew_every, 1.0))

    async def _unless_stopped(self, pool: ThreadPoolExecutor, call: Callable[[], _T]) -> _T | None:
        """`call()` on `pool`, or None as soon as stop() is called (a Redis call stuck in its thread ends there)."""
        doing = asyncio.get_running_loop().run_in_executor(pool, call)
        stopping = asyncio.ensure_future(self._stopping.wait())
        either: list[asyncio.Future[Any]] = [doing, stopping]
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            await asyncio.gather(stopping, return_exceptions=True)
        if doing.done():
            return doing.result()
        doing.add_done_callback(lambda done: done.cancelled() or done.exception())  # its error is not news
        return None

    async def _lead(self) -> None:
        """Deliver while the lease is ours: first claim every entry still pending in the group - read by a
        holder that has stopped sending - then the usual walk of our own pending list and new entries."""
        self._lost = asyncio.Event()
        if self._stopping.is_set():
            return
        renewing = asyncio.create_task(self._keep_lease(), name=f"deliver-lease-{self._channel}")
        try:
            try:
                claimed = await self._in(self._reader, self._take_over)
            except redis.RedisError as exc:
                log.warning("%s delivery: could not claim pending entries (%s)", self._channel, type(exc).__name__)
                await _pause(self._renew_every, self._stopping)
                return
            self._leading = True
            LEADER.labels(self._channel).set(1)
            # A start takes the lease too: only news when a stopped holder left replies behind.
            log.log(logging.WARNING if claimed else logging.INFO, "%s delivery: taken over by %s (claimed %d pending)",
                    self._channel, self._consumer, claimed)  # fmt: skip
            await self._read_loop()
            if self._stopping.is_set():
                await self._drain()
        finally:
            self._leading = False
            await self._end_lead()
            self._lost.set()  # the turn is over: the renewals end on it as well as on the cancel
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
            LEADER.labels(self._channel).set(0)

    def _take_over(self) -> int:
        # Every pending entry, idle or not (min-idle 0): whoever read it held the lease, and a holder starts no
        # send with less than the margin left, so by now it sends nothing more. Then our own walk ("0-0") sends
        # them in entry order, which keeps each conversation's order; one the last holder posted and did not
        # acknowledge is recognised (bot/message_ids.py) and not posted twice.
        try:
            claimed = self._outbox.claim_all(self._channel, GROUP, self._consumer)
        except redis.ResponseError:  # Redis lost the group: what the streams hold was published since
            self._join_group("0")
            return 0
        gone = self._outbox.forget_idle_consumers(self._channel, GROUP, self._consumer)
        if gone:
            log.info("%s delivery: forgot the consumers %s (nothing pending)", self._channel, ", ".join(gone))
        return claimed

    async def _keep_lease(self) -> None:
        """Renew the lease about every second; the first renewal that fails or finds another holder ends this
        replica's turn at once (what it read and did not send stays pending for the next holder)."""
        while not self._lost.is_set():
            await _pause(self._renew_every, self._lost)  # also while draining after a stop: sends need it
            if self._lost.is_set():
                return
            left = self._lease.valid_until - time.monotonic() - self._margin
            # asyncio.wait, not wait_for: Python 3.11's wait_for can swallow a cancel that lands as the call completes.
            renewal = asyncio.ensure_future(self._in(self._leasing, self._lease.take))
            await asyncio.wait({renewal}, timeout=max(left, 0.001))
            if not renewal.done():
                renewal.add_done_callback(lambda late: late.cancelled() or late.exception())  # its error is not news
                self._lose("cannot renew the lease (no answer from Redis in time)")
                return
            try:
                held = renewal.result()
            except redis.RedisError as exc:
                self._lose(f"cannot renew the lease ({type(exc).__name__})")
                return
            if not held:
                self._lose("another replica holds the lease")

    def _may_send(self) -> bool:
        """Whether a send may start now: our turn, and the lease good for the margin at least."""
        if self._lost.is_set():
            return False
        if self._lease.valid_until - time.monotonic() < self._margin:
            self._lose("the lease was not renewed in time")
            return False
        return True

    def _lose(self, why: str) -> None:
        if not self._lost.is_set():
            log.warning("%s delivery: %s stops sending: %s", self._channel, self._consumer, why)
        self._lost.set()

    async def _end_lead(self) -> None:
        """Our turn is over: lanes stop, sends under way finish, their acks and message ids land - before the
        lease can be released or taken again - and what was queued is forgotten (it stays pending)."""
        await self._cancel_lanes()
        await self._finish_sends()
        await asyncio.gather(*self._settling, return_exceptions=True)
        await self._in(self._io, lambda: None)  # everything submitted to it before has landed
        self._lanes.clear()
        self._count_queued()

    async def _release(self) -> None:
        """A clean stop: give the lease up and wake a standby, so the channel is delivered again at once."""
        if self._lease.valid_until == 0.0:
            return
        try:
            await self._in(self._leasing, self._hand_over)
        except redis.RedisError as exc:  # it runs out by itself
            log.warning("%s delivery: could not release the lease (%s)", self._channel, type(exc).__name__)

    def _hand_over(self) -> None:
        self._lease.release()
        key = HANDOVER_PREFIX + self._channel
        with self._connection.pipeline(transaction=True) as pipe:
            pipe.lpush(key, self._consumer)
            pipe.ltrim(key, 0, 0)
            pipe.expire(key, int(LEASE_SECONDS * 2))
            pipe.execute()

    def _turn_over(self) -> bool:
        return self._stopping.is_set() or self._lost.is_set()

    # -- reading -------------------------------------------------------------------------------------
    def _join_group(self, start: str = "$") -> None:
        self._outbox.create_group(self._channel, GROUP, start)

    async def _read_loop(self) -> None:
        # Per stream (by urgency): "0-0" walks this consumer's own pending entries (what an earlier run read and
        # did not finish), then ">" takes new ones. Both streams are read in one call, urgent entries dispatched
        # first, so an ordinary reply never overtakes an urgent one published before it.
        cursors = {True: "0-0", False: "0-0"}
        next_sweep = time.monotonic() + SWEEP_SECONDS
        while not self._turn_over() and self._may_send():  # a read, too, only with the margin left
            wanted = {urgent: c for urgent, c in cursors.items() if urgent or self._held() < MAX_HELD}
            walked = all(c == ">" for c in cursors.values())
            block = self._block_ms if all(c == ">" for c in wanted.values()) else None
            try:
                if walked and time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + SWEEP_SECONDS
                    batch = await self._in(self._reader, self._sweep)
                else:
                    batch = await self._in(self._reader, partial(self._read, wanted, block))
            except redis.RedisError as exc:
                await self._read_failed(exc)
                continue
            if self._lost.is_set():
                break  # what was just read stays pending, for the next holder
            if self._read_failing:
                log.warning("%s outbox: reading again", self.transport.name)
                self._read_failing = False
            got = dict.fromkeys(wanted, 0)
            for urgent, entry_id, reply in batch:
                got[urgent] = got.get(urgent, 0) + 1
                if cursors[urgent] != ">":
                    cursors[urgent] = entry_id
                if reply is None:
                    await self._ack_ids([entry_id], urgent=urgent)  # deleted or unreadable: nothing to send
                else:
                    self._dispatch(Entry(entry_id, reply, urgent))
            for urgent, count in got.items():
                if not count:
                    cursors[urgent] = ">"  # the backlog of the previous run is handed out
            self._count_queued()

    async def _read_failed(self, exc: redis.RedisError) -> None:
        if not self._read_failing:  # once per outage, not once a second
            log.warning("%s outbox: Redis read failed (%s); retrying", self.transport.name, type(exc).__name__)
        self._read_failing = True
        if isinstance(exc, redis.ResponseError):
            # Redis lost the group (flushed, or restarted without persistence): whatever the stream holds now
            # was published since then, so the new group starts at its beginning.
            with contextlib.suppress(redis.RedisError):
                await self._in(self._io, partial(self._join_group, "0"))
        await _pause(1.0, self._stopping, self._lost)

    def _sweep(self) -> list[tuple[bool, str, Reply | None]]:
        """Entries on another consumer's pending list: a former holder paused in the middle of a read, past its
        lease, read them after we took over (it does not send them: its lease ran out)."""
        found = self._outbox.claim_from_others(self._channel, GROUP, self._consumer)
        if found:
            log.warning("%s delivery: claimed %d entries read by a former holder", self._channel, len(found))
        return found

    def _read(self, cursors: dict[bool, str], block: int | None) -> list[tuple[bool, str, Reply | None]]:
        return self._outbox.read_group(self._channel, GROUP, self._consumer, cursors, block)

    def _held(self) -> int:
        return sum(len(lane.queue) for lane in self._lanes.values())

    def _count_queued(self) -> None:
        urgent = sum(len(lane.urgent) for lane in self._lanes.values())
        QUEUED.labels(self._channel, "urgent").set(urgent)
        QUEUED.labels(self._channel, "ordinary").set(self._held())

    def _dispatch(self, entry: Entry) -> None:
        key = (entry.reply.ref.channel, entry.reply.ref.conversation_id)
        if key not in self._lanes and len(self._lanes) >= _LANES:
            self._forget_quiet_lanes()
        lane = self._lanes.get(key)
        if lane is None:
            rate = self.transport.conversation_rate(entry.reply.ref)
            lane = self._lanes[key] = Lane(TokenBucket(rate) if rate else None)
        lane.add(entry)
        if not lane.busy():
            lane.task = asyncio.create_task(self._drain_lane(lane), name=f"deliver-{key[1]}")

    def _forget_quiet_lanes(self) -> None:
        for key, lane in list(self._lanes.items()):
            if lane.quiet():
                del self._lanes[key]

    async def _drain(self) -> None:
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None and not lane.task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=self._drain_seconds)

    async def _finish_sends(self) -> None:
        """Sends under way get SEND_GRACE_SECONDS to finish (and store the message's id); one that hangs longer
        is cut off, and the next run sends it."""
        if not self._sending:
            return
        _done, late = await asyncio.wait(set(self._sending), timeout=SEND_GRACE_SECONDS)
        for sending in late:
            sending.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _cancel_lanes(self) -> None:
        late = [lane.task for lane in self._lanes.values() if lane.task is not None and not lane.task.done()]
        for task in late:
            task.cancel()  # unacknowledged: the next run sends it
        await asyncio.gather(*late, return_exceptions=True)

    # -- sending -------------------------------------------------------------------------------------
    async def _drain_lane(self, lane: Lane) -> None:
        try:
            while lane.waiting():
                if await self._skip_digested_edit(lane):
                    continue
                # The token first, then the pick: an urgent reply that arrived meanwhile takes this slot.
                await pace(lane, self._bucket)
                cards = take_cards(lane)
                if cards:
                    await self._deliver_digest(lane, cards)
                elif lane.waiting():
                    await self._deliver(lane, lane.next())
        except LeaseLapsed:
            pass  # the lease is going or gone: what this lane held stays pending, for the next holder

    async def _skip_digested_edit(self, lane: Lane) -> bool:
        """The next reply is an edit of a card that went out in a digest: settled without a message (see
        bot/digest.py) and without spending a token."""
        head = lane.urgent[0] if lane.urgent else None
        if head is None or head.reply.edit_of is None:
            return False
        posted = await self._asked(self._ids.lookup(head.reply.edit_of))
        if posted is None or not posted.in_digest or not lane.urgent or lane.urgent[0] is not head:
            return False
        lane.urgent.popleft()
        DIGESTED.labels(self._channel, "edit").inc()
        await self._ack([head])
        return True

    async def _deliver(self, lane: Lane, entry: Entry) -> None:
        """Send `entry` (its token already taken), with the queued edits that supersede it."""
        sent = [entry]  # entries this send settles: the one sent and the edits it superseded
        skipped = False  # it had gone out before: nothing sent, and nothing to report again

        async def send() -> None:
            nonlocal skipped
            sent.extend(coalesce(lane, sent[-1]))
            skipped = not await self._send(sent[-1].reply)

        problem = await self._attempts(lane, send, lambda: [] if skipped else [sent[-1].reply])
        if problem is None:
            metrics.observe("delivery", max(0.0, time.time() - _entry_seconds(sent[-1].entry_id)))
            await self._deliver_extras(lane, sent[-1].reply)
        await self._settle(sent, problem, [sent[-1]])

    async def _deliver_extras(self, lane: Lane, reply: Reply) -> None:
        """The chart and the file of a reply whose text went out, each under it (its thread; a reply to it), paced
        like a message. Each one's id is remembered as the text's is, so a reply handed out again after a restart
        gets each once. One that cannot be made (a chart that does not render, a file whose bytes expired) or that
        the platform refuses is logged and left out: the text stays delivered, and is not sent again."""
        # Edits carry neither, and a refusal is seen by the presser alone: what it carries would be seen by everyone.
        if reply.edit_of is not None or reply.kind == "refusal":
            return
        if reply.chart is not None:
            await self._deliver_extra(lane, reply, "chart", self._picture, self.transport.post_picture)
        if reply.attachment is not None:
            await self._deliver_extra(lane, reply, "file", self._file, self.transport.post_file)

    async def _deliver_extra(
        self, lane: Lane, reply: Reply, what: str, made: Callable[[Reply], Awaitable[bytes | None]],
        post: Callable[[Reply, str, bytes], Awaitable[str]],
    ) -> None:  # fmt: skip
        """`what` ("chart", "file") is made, and posted under the reply's text, unless it was before."""
        key = reply.key + (PICTURE_SUFFIX if what == "chart" else FILE_SUFFIX)
        text = await self._asked(self._ids.lookup(reply.key))
        if text is None or text.in_digest or await self._asked(self._ids.already_posted(key)):
            return
        content = await made(reply)
        if content is None:
            return
        placed = await self._placed(reply)

        async def send() -> None:
            await self._ids.remember_now(key, await post(placed, text.message_id, content))

        await pace(lane, self._bucket)
        await self._attempts(lane, send, lambda: [], reply, what=f"the {what} of reply")

    async def _picture(self, reply: Reply) -> bytes | None:
        assert reply.chart is not None
        try:
            return await asyncio.to_thread(render_png, reply.chart)  # ~0.1 s of CPU: not on the event loop
        except Exception as exc:
            log.warning("%s: the chart of reply %s did not render: %s: %s",
                        self._channel, reply.key, type(exc).__name__, _clean(exc))  # fmt: skip
            return None

    async def _file(self, reply: Reply) -> bytes | None:
        attachment = reply.attachment
        assert attachment is not None
        content = await self._asked(self._in(self._io, partial(blobs.get, self._connection, attachment.blob_key)))
        if content is None:  # kept for a day (core.blobs): a reply delivered later than that has lost its file
            log.warning("%s: the file of reply %s (%s) has expired: not sent",
                        self._channel, reply.key, for_chat(attachment.filename))  # fmt: skip
        return content

    async def _deliver_digest(self, lane: Lane, cards: list[Entry]) -> None:
        """One message for `cards` (its token already taken); each card's escalation hears how it went. Cards that
        went out before (handed out again after a restart) are left out of it."""
        posted = await self._asked(self._ids.posted_among([card.reply.key for card in cards]))
        fresh = [card for card in cards if card.reply.key not in posted]
        if posted:
            ALREADY_POSTED.labels(self._channel).inc(len(cards) - len(fresh))
        if not fresh:
            await self._settle(cards, None, [])
            return
        digest = digest_of(fresh)

        async def send() -> None:
            message_id = await self.transport.post(digest)
            self._ids.remember(digest.key, message_id)
            await self._ids.remember_digested([card.reply.key for card in fresh], message_id)

        problem = await self._attempts(lane, send, lambda: [card.reply for card in fresh], digest)
        if problem is None:
            DIGESTED.labels(self._channel, "card").inc(len(fresh))
        await self._settle(cards, problem, fresh)

    async def _attempts(
        self, lane: Lane, send: Callable[[], Awaitable[None]], about: Callable[[], list[Reply]],
        shown: Reply | None = None, what: str = "reply",
    ) -> str | None:  # fmt: skip
        """`send` until it succeeds, is refused for good, or fails ATTEMPTS times (429s aside: the platform said
        when to come back, and we do); the lane waits in between (a 429: its Retry-After; else a growing backoff)
        and takes a new token. The replies `about()` names are reported: sent, or failing at the first failure.
        None, or why it was given up on (logged as about `what` of the reply `shown`, or the last reported)."""
        failures = 0
        paced = True

        async def attempt() -> None:
            nonlocal failures, paced
            if not paced:
                await pace(lane, self._bucket)
            paced = False
            if not self._may_send():
                raise LeaseLapsed
            try:
                sending = asyncio.ensure_future(send())
                self._sending.add(sending)
                sending.add_done_callback(self._sending.discard)
                # Reported when the send itself ends, not when this attempt resumes: a stop that cancels the
                # lane lets the send finish (and the next run finds it posted and skips it), so the report of a
                # message that went out must not depend on this coroutine still running.
                sending.add_done_callback(partial(self._report_sent, about))
                await asyncio.shield(sending)
            except RetryAfter:
                if lane.bucket is not None:
                    lane.bucket.drain()  # the burst is spent: the lane's next messages go at the platform's pace
                raise
            except LeaseLapsed:
                raise  # not a failure of the message: it stays pending for the next holder
            except Exception as exc:
                failures += 1
                if failures == 1:
                    for reply in about():
                        self._report(reply, f"{type(exc).__name__}: {_clean(exc)}")
                raise

        try:
            await self._retry.async_retrying(_worth_retrying)(attempt)
        except LeaseLapsed:
            raise
        except DeliveryFailed as exc:
            reply = shown or about()[-1]
            log.warning("%s refused %s %s to %s: %s", self.transport.name, what, reply.key, _where(reply), _clean(exc))
            return f"refused: {_clean(exc)}"
        except Exception as exc:  # any failure: after ATTEMPTS the conversation must move on
            reply = shown or about()[-1]
            log.warning(
                "%s: gave up on %s %s to %s after %d attempts: %s: %s",
                self.transport.name, what, reply.key, _where(reply), ATTEMPTS, type(exc).__name__, _clean(exc),
            )  # fmt: skip
            return f"gave up after {ATTEMPTS} attempts: {type(exc).__name__}: {_clean(exc)}"
        return None

    def _report_sent(self, about: Callable[[], list[Reply]], sending: asyncio.Future[None]) -> None:
        """A send that went through: the replies `about()` names are reported sent."""
        if sending.cancelled() or sending.exception() is not None:
            return
        for reply in about():
            self._report(reply, None)

    def _report(self, reply: Reply, error: str | None) -> None:
        if self._on_result is None or not reply.key.startswith(self._result_prefix):
            return
        self._results.submit(self._call_report, reply.key, error)

    def _call_report(self, key: str, error: str | None) -> None:
        assert self._on_result is not None
        try:
            self._on_result(key, error)
        except Exception as exc:  # a report that fails must not stop delivery
            log.warning("%s: delivery report for %s failed: %s", self.transport.name, key, type(exc).__name__)

    async def _send(self, reply: Reply) -> bool:
        """Post or edit; False when nothing was sent because the reply had gone out before."""
        if reply.edit_of is None:
            if await self._asked(self._ids.already_posted(reply.key)):
                ALREADY_POSTED.labels(self._channel).inc()
                return False  # handed out again after a restart, or published twice by a step run again
            await self._ids.remember_now(reply.key, await self.transport.post(await self._placed(reply)))
            return True
        posted = await self._asked(self._ids.lookup(reply.edit_of))
        if posted is None:  # sent before the map existed, or expired: a new message beats none
            self._ids.remember(reply.edit_of, await self.transport.post(reply))
        elif posted.in_digest:  # arrived while its token was awaited; see _skip_digested_edit
            DIGESTED.labels(self._channel, "edit").inc()
        else:
            await self.transport.edit(reply, posted.message_id)
        return True

    async def _asked(self, question: Awaitable[_T]) -> _T:
        """The answer of a message-id lookup. Without it this replica cannot tell what went out, nor record what it
        sends: Redis failing ends its turn, and what it holds stays pending for the next holder of the lease."""
        try:
            return await question
        except redis.RedisError as exc:
            self._lose(f"Redis does not answer ({type(exc).__name__})")
            raise LeaseLapsed from exc

    async def _placed(self, reply: Reply) -> Reply:
        """A reply answering an earlier message, given the platform's id of that message (a card sent inside a
        digest: the digest's) in `reply_to`; None when it is not known (expired): it goes out on its own."""
        if reply.reply_to is None:
            return reply
        posted = await self._asked(self._ids.lookup(reply.reply_to))
        return reply.model_copy(update={"reply_to": posted.message_id if posted is not None else None})

    async def _settle(self, entries: list[Entry], problem: str | None, lost: list[Entry]) -> None:
        """Sent (or given up on, `lost` kept as dead letters): acknowledged even when a stop cancels the lane
        now - what went out must not go out again after a restart."""

        async def settle() -> None:
            if problem is not None:
                await self._bury(lost, problem)
            await self._ack(entries)

        task = asyncio.create_task(settle())
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)
        await asyncio.shield(task)

    async def _ack(self, entries: list[Entry]) -> None:
        for urgent in (True, False):
            ids = [e.entry_id for e in entries if e.urgent is urgent]
            if ids:
                await self._ack_ids(ids, urgent=urgent)

    async def _ack_ids(self, ids: list[str], *, urgent: bool) -> None:
        try:
            await self._in(self._io, partial(self._outbox.ack, self._channel, GROUP, ids, urgent=urgent))
        except redis.RedisError as exc:  # stays pending: the next run sends it again (at least once)
            name = type(exc).__name__
            log.warning("%s: could not acknowledge %d entries: %s", self.transport.name, len(ids), name)

    async def _bury(self, entries: list[Entry], reason: str) -> None:
        """Given up on: kept in the dead-letter list (`opsbot outbox dead`), to be sent again with `replay`."""
        for entry in entries:
            try:
                raw = entry.reply.model_dump_json()
                await self._in(self._io, partial(self._outbox.bury, self._channel, raw, reason))
            except redis.RedisError as exc:
                log.warning("%s: could not keep reply %s as a dead letter: %s; it is lost",
                            self.transport.name, entry.reply.key, type(exc).__name__)  # fmt: skip

    async def _in(self, pool: ThreadPoolExecutor, call: Callable[[], _T]) -> _T:
        return await asyncio.get_running_loop().run_in_executor(pool, call)


async def _pause(seconds: float, *events: asyncio.Event) -> None:
    """`seconds`, or less when one of `events` is set."""
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:  # also when the pause itself is cancelled: none is left pending when the loop closes
        for waiting in waits:
            waiting.cancel()
        await asyncio.gather(*waits, return_exceptions=True)


class LeaseLapsed(OpsbotError):
    """No send may start: the lease is lost, or too close to running out. Ends this replica's turn; never shown."""


def _worth_retrying(exc: BaseException) -> bool:
    # tenacity sees BaseException too: a cancelled send (stop() after the drain time) must stay cancelled.
    return isinstance(exc, Exception) and not isinstance(exc, DeliveryFailed | LeaseLapsed)


def _entry_seconds(entry_id: str) -> float:
    return int(entry_id.partition("-")[0]) / 1000


def _where(reply: Reply) -> str:
    return f"{reply.ref.channel}:{reply.ref.conversation_id}"


def _clean(exc: BaseException) -> str:
    # Error texts of HTTP clients can carry the URL, and Telegram puts the bot token in the URL path.
    return redact_text(str(exc))[:200]
