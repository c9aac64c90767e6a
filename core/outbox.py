"""Replies produced away from the chat path (progress, results, alert cards) travel through Redis streams per
channel; each channel adapter reads them and delivers in order. Workers never import an SDK.

Two streams per channel: urgent replies (alert cards, escalation notices, DR status, and every edit of them) go to
`opsbot:outbox:urgent:<channel>`, so a card is read at once however many ordinary replies wait before it. Nothing
is trimmed by length: the Deliverer deletes an entry once it is settled. Only a safety cap far above any real
backlog moves the oldest entries aside, loudly, to the channel's dead-letter list, where the Deliverer also puts
what a platform refused for good; `opsbot outbox dead|replay|stats` shows and resends them."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import redis
from prometheus_client import Counter
from pydantic import ValidationError
from redis.typing import KeyT, StreamIdT

from core.leases import PREFIX as LEASE_PREFIX
from core.models import Reply

log = logging.getLogger(__name__)

STREAM_PREFIX = "opsbot:outbox:"
URGENT_PREFIX = STREAM_PREFIX + "urgent:"
DEAD_PREFIX = STREAM_PREFIX + "dead:"
SEQ_PREFIX = STREAM_PREFIX + "seq:"  # the newest id given out in either of a channel's streams
URGENT_KEYS = ("alert-", "urgent-")  # reply keys (or, for an edit, the key it edits) that go ahead of the rest
CAP = 1_000_000  # entries per stream; reaching it means delivery has been down for days
GROUP_BATCH = 200  # entries per consumer-group read
_READ_BATCH = 500
# Read straight from its stream by one local reader that has no pace to keep, so one stream in publish order.
DIRECT_CHANNELS = frozenset({"console"})
_CLAIM_BATCH = 500  # entries moved per XAUTOCLAIM

# Consumers of a group other than ARGV[2] that hold no pending entry are deleted (XGROUP DELCONSUMER), so the
# group does not collect the names of replicas long gone. Checked and deleted in one call: deleting a consumer
# drops its pending entries, and none may appear between the check and the delete.
_FORGET_IDLE = """
local gone = {}
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
    local name, pending
    for i = 1, #consumer, 2 do
        if consumer[i] == 'name' then name = consumer[i + 1] elseif consumer[i] == 'pending' then
            pending = consumer[i + 1]
        end
    end
    if name ~= ARGV[2] and pending == 0 then
        redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
        table.insert(gone, name)
    end
end
return gone
"""

# Entry ids ordered across both of a channel's streams (each stream alone would number its entries from the same
# millisecond independently), so a direct reader merges them in publish order and a cursor skips nothing.
_PUBLISH = """
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id = ms .. '-0'
local prev = redis.call('GET', KEYS[2])
if prev then
    local pms, pseq = string.match(prev, '^(%d+)-(%d+)$')
    if pms and tonumber(pms) >= ms then id = pms .. '-' .. (tonumber(pseq) + 1) end
end
local ok, added = pcall(redis.call, 'XADD', KEYS[1], id, 'reply', ARGV[1])
if not ok then  -- the stream is ahead of the record (it was lost): its own next id; a real error raises here
    added = redis.call('XADD', KEYS[1], '*', 'reply', ARGV[1])
end
redis.call('SET', KEYS[2], added)
return {added, redis.call('XLEN', KEYS[1])}
"""

DEAD_LETTERED = Counter(
    "opsbot_outbox_dead_lettered", "Replies moved to a dead-letter list, by why.", ["channel", "reason"]
)


def is_urgent(reply: Reply) -> bool:
    """Alert cards and notices (key "alert-..."), DR status ("urgent-...") and edits of them. An edit goes where
    the message it edits went, so it can never overtake that message."""
    return (reply.edit_of or reply.key).startswith(URGENT_KEYS)


@dataclass(frozen=True)
class DeadLetter:
    channel: str
    raw: str  # the reply's JSON as published
    reason: str
    at: float  # epoch seconds

    @property
    def reply(self) -> Reply | None:
        try:
            return Reply.model_validate_json(self.raw)
        except ValidationError:
            return None


@dataclass(frozen=True)
class ChannelStats:
    channel: str
    pending: int  # published and not yet settled (undelivered or in flight), both streams
    urgent: int  # of which urgent
    dead: int
    delivering: str | None = None  # the replica holding the channel's delivery lease, if any


def delivery_lease(channel: str) -> str:
    """The name of the lease (core.leases) whose holder is the one replica delivering `channel`'s outbox."""
    return f"deliver:{channel}"


class Outbox:
    def __init__(self, connection: redis.Redis, *, cap: int = CAP) -> None:
        self._redis = connection
        self._cap = cap
        self._publish = connection.register_script(_PUBLISH)
        self._forget_idle = connection.register_script(_FORGET_IDLE)

    def publish(self, reply: Reply) -> str:
        channel = reply.ref.channel
        key = stream_key(channel, urgent=is_urgent(reply) and channel not in DIRECT_CHANNELS)
        raw = cast(list[Any], self._publish(keys=[key, SEQ_PREFIX + channel], args=[reply.model_dump_json()]))
        entry_id, length = _text(raw[0]), int(raw[1])
        if length > self._cap:  # a hundredth of the cap at once: one loud line per chunk, not per publish
            self._overflow(channel, key, length - self._cap + self._cap // 100)
        return entry_id

    def _overflow(self, channel: str, key: str, count: int) -> None:
        """The safety cap: the oldest entries move to the dead-letter list, never silently."""
        entries = cast(list[Any], self._redis.xrange(key, count=count))
        reason = f"outbox over its cap of {self._cap:,} entries"
        for entry_id, fields in entries:
            self.bury(channel, _text((fields or {}).get(b"reply", b"")), reason)
            self._redis.xdel(key, entry_id)
        log.warning("%s outbox: over its cap of %d entries; %d oldest moved to %s (opsbot outbox dead)",
                    channel, self._cap, len(entries), DEAD_PREFIX + channel)  # fmt: skip

    # -- direct readers (the console, tests): both streams merged in publish order -----------------------
    def read(self, channel: str, after: str = "0-0", block_ms: int | None = None) -> list[tuple[str, Reply]]:
        """Entries after `after` (exclusive), oldest first. `block_ms` waits for new ones."""
        keys = [stream_key(channel, urgent=False), stream_key(channel, urgent=True)]
        streams: dict[KeyT, StreamIdT] = dict.fromkeys(keys, after)
        raw = cast(list[Any], self._redis.xread(streams, count=_READ_BATCH, block=block_ms))
        merged: list[tuple[str, Reply]] = []
        horizon: tuple[int, int] | None = None  # a stream cut off by the count: nothing past its last id yet
        for _stream, entries in raw or []:
            if len(entries) == _READ_BATCH:
                last = _id_tuple(_text(entries[-1][0]))
                horizon = last if horizon is None else min(horizon, last)
            for entry_id, fields in entries:
                reply = _reply_of(fields)
                if reply is not None:
                    merged.append((_text(entry_id), reply))
        merged.sort(key=lambda item: _id_tuple(item[0]))
        return [item for item in merged if horizon is None or _id_tuple(item[0]) <= horizon]

    def last_id(self, channel: str) -> str:
        """The newest entry id, so a new reader starts after what was already there."""
        newest = "0-0"
        for urgent in (False, True):
            entries = cast(list[Any], self._redis.xrevrange(stream_key(channel, urgent=urgent), count=1))
            if entries and _id_tuple(_text(entries[0][0])) > _id_tuple(newest):
                newest = _text(entries[0][0])
        return newest

    # -- consumer groups: each entry handed to one consumer, and pending until acknowledged ------------
    def create_group(self, channel: str, group: str, start: str = "$") -> None:
        """Create `group` on the channel's streams (and the streams) if it is not there yet. `start` "$" hands
        out only what is published from now on, "0" everything the streams hold."""
        for urgent in (False, True):
            try:
                self._redis.xgroup_create(stream_key(channel, urgent=urgent), group, id=start, mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    def read_group(
        self, channel: str, group: str, consumer: str, cursors: Mapping[bool, str], block_ms: int | None = None
    ) -> list[tuple[bool, str, Reply | None]]:
        """(urgent, entry id, reply) for entries after each stream's cursor (by urgency) in `consumer`'s pending
        list, or new ones (">"); `block_ms` waits for new ones. An entry that is not a reply comes back as None:
        acknowledge it, there is nothing to send. Urgent entries come first."""
        streams: dict[KeyT, StreamIdT] = {stream_key(channel, urgent=u): c for u, c in sorted(cursors.items())[::-1]}
        raw = cast(list[Any], self._redis.xreadgroup(group, consumer, streams, count=GROUP_BATCH, block=block_ms))
        out: list[tuple[bool, str, Reply | None]] = []
        for stream, entries in raw or []:
            urgent = _text(stream).startswith(URGENT_PREFIX)
            for entry_id, fields in entries:
                out.append((urgent, _text(entry_id), _reply_of(fields)))
        out.sort(key=lambda item: not item[0])  # stable: each stream's order kept
        return out

    def ack(self, channel: str, group: str, entry_ids: list[str], *, urgent: bool = False) -> None:
        """Done with these entries: they leave the group's pending list and the stream (nothing else reads it)."""
        key = stream_key(channel, urgent=urgent)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(key, group, *entry_ids)
            pipe.xdel(key, *entry_ids)
            pipe.execute()

    def claim_all(self, channel: str, group: str, consumer: str) -> int:
        """Move every pending entry of `group`, whoever read it, into `consumer`'s pending list (urgent stream
        first); returns how many. Only for the one consumer allowed to deliver (the lease holder): the entries
        were read by a holder that has stopped sending. An entry deleted meanwhile leaves the group on the way."""
        claimed = 0
        for urgent in (True, False):
            key, cursor = stream_key(channel, urgent=urgent), "0-0"
            while True:
                raw = self._redis.xautoclaim(key, group, consumer, 0, cursor, count=_CLAIM_BATCH)
                cursor, claimed = _text(raw[0]), claimed + len(raw[1])  # [2]: deleted ids, now out of the group
                if cursor == "0-0":
                    break
        return claimed

    def claim_from_others(self, channel: str, group: str, consumer: str) -> list[tuple[bool, str, Reply | None]]:
        """Entries pending on consumers other than `consumer`, moved to it and returned as `read_group` returns
        them (urgent first, each stream in id order). The holder of the delivery lease calls it now and then:
        only a holder that was paused in the middle of a read, past its lease, can have left any there."""
        out: list[tuple[bool, str, Reply | None]] = []
        for urgent in (True, False):
            key = stream_key(channel, urgent=urgent)
            summary = self._redis.xpending(key, group)
            for other in summary.get("consumers") or []:
                name = _text(other["name"])
                if name == consumer or not int(other["pending"]):
                    continue
                rows = self._redis.xpending_range(key, group, "-", "+", int(other["pending"]), consumername=name)
                ids: list[StreamIdT] = [row["message_id"] for row in rows]
                claimed = cast(list[Any], self._redis.xclaim(key, group, consumer, 0, ids) if ids else [])
                out += [(urgent, _text(entry_id), _reply_of(fields)) for entry_id, fields in claimed]
        out.sort(key=lambda item: (not item[0], _id_tuple(item[1])))
        return out

    def forget_idle_consumers(self, channel: str, group: str, keep: str) -> list[str]:
        """Delete the consumers of `group` other than `keep` that hold no pending entry; returns their names."""
        gone: list[str] = []
        for urgent in (False, True):
            raw = cast(list[Any], self._forget_idle(keys=[stream_key(channel, urgent=urgent)], args=[group, keep]))
            gone += [_text(name) for name in raw or []]
        return sorted(set(gone))

    def group_caught_up(self, channel: str, group: str) -> bool:
        """Everything in the streams handed out to `group` and acknowledged. False while there is no group."""
        for urgent in (False, True):
            key = stream_key(channel, urgent=urgent)
            try:
                groups = self._redis.xinfo_groups(key)
                last = _text(self._redis.xinfo_stream(key)["last-generated-id"])
            except redis.ResponseError:  # no stream, so no group either
                return False
            found = next((g for g in groups if _text(g["name"]) == group), None)
            if found is None or found["pending"] or _text(found["last-delivered-id"]) != last:
                return False
        return True

    # -- dead letters: what could not be delivered, kept to be seen and sent again ---------------------
    def bury(self, channel: str, raw_reply: str, reason: str) -> None:
        letter = {"reply": raw_reply, "reason": reason[:300], "at": time.time()}
        self._redis.rpush(DEAD_PREFIX + channel, json.dumps(letter))
        DEAD_LETTERED.labels(channel, reason.partition(":")[0][:40]).inc()

    def dead(self, channel: str | None = None, limit: int = 1000) -> list[DeadLetter]:
        """Dead letters, oldest first, of one channel or of all."""
        letters: list[DeadLetter] = []
        for name in [channel] if channel else self.channels():
            for raw in cast(list[bytes], self._redis.lrange(DEAD_PREFIX + name, 0, limit - 1)):
                letters.append(_letter(name, raw))
        return letters

    def replay(self, channel: str | None = None) -> int:
        """Publish every dead letter (of one channel or all) again and take it off the list; returns how many.
        One that is not a reply any more stays where it is."""
        sent = 0
        for name in [channel] if channel else self.channels():
            key = DEAD_PREFIX + name
            for _ in range(self._redis.llen(key)):
                raw = cast(bytes | None, self._redis.lpop(key))
                if raw is None:
                    break
                reply = _letter(name, raw).reply
                if reply is None:
                    self._redis.rpush(key, raw)
                    continue
                self.publish(reply)
                sent += 1
        return sent

    def channels(self) -> list[str]:
        """Channels that have an outbox stream or dead letters."""
        found: set[str] = set()
        for raw in self._redis.scan_iter(match=STREAM_PREFIX + "*", count=1000):
            name = _text(raw)
            if name.startswith(SEQ_PREFIX):
                continue
            for prefix in (DEAD_PREFIX, URGENT_PREFIX, STREAM_PREFIX):
                if name.startswith(prefix):
                    found.add(name[len(prefix) :])
                    break
        return sorted(found)

    def stats(self) -> list[ChannelStats]:
        """Per channel: entries not settled yet (acknowledged entries are deleted, so a stream holds exactly
        those; the console's stream, read directly, holds what it was sent) and dead letters."""
        out = []
        for channel in self.channels():
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.xlen(stream_key(channel, urgent=False))
                pipe.xlen(stream_key(channel, urgent=True))
                pipe.llen(DEAD_PREFIX + channel)
                pipe.get(LEASE_PREFIX + delivery_lease(channel))
                ordinary, urgent, dead, holder = pipe.execute()
            delivering = _text(holder) if holder is not None else None
            out.append(ChannelStats(channel, ordinary + urgent, urgent, dead, delivering))
        return out


def stream_key(channel: str, *, urgent: bool) -> str:
    return (URGENT_PREFIX if urgent else STREAM_PREFIX) + channel


def _letter(channel: str, raw: bytes) -> DeadLetter:
    try:
        data = json.loads(raw)
        return DeadLetter(channel, str(data["reply"]), str(data["reason"]), float(data["at"]))
    except (ValueError, KeyError, TypeError):
        return DeadLetter(channel, _text(raw), "unreadable dead letter", 0.0)


def _reply_of(fields: dict[bytes, bytes] | None) -> Reply | None:
    raw = (fields or {}).get(b"reply")  # None: the entry was deleted (moved aside by the cap) while pending
    if raw is None:
        return None
    try:
        return Reply.model_validate_json(raw)
    except ValidationError:
        log.warning("outbox entry is not a reply; skipped")
        return None


def _id_tuple(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
