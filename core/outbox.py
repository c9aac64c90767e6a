"""Replies produced away from the chat path (progress, results) travel through a Redis stream per
channel; each channel adapter reads its stream and delivers in order. Workers never import an SDK."""

from __future__ import annotations

import logging
from typing import Any, cast

import redis
from pydantic import ValidationError
from redis.typing import KeyT, StreamIdT

from core.models import Reply

log = logging.getLogger(__name__)

STREAM_PREFIX = "opsbot:outbox:"
MAX_LEN = 10_000
GROUP_BATCH = 200  # entries per consumer-group read


class Outbox:
    def __init__(self, connection: redis.Redis) -> None:
        self._redis = connection

    def publish(self, reply: Reply) -> str:
        key = STREAM_PREFIX + reply.ref.channel
        entry_id = self._redis.xadd(key, {"reply": reply.model_dump_json()}, maxlen=MAX_LEN, approximate=True)
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    def read(self, channel: str, after: str = "0-0", block_ms: int | None = None) -> list[tuple[str, Reply]]:
        """Entries after `after` (exclusive), oldest first. `block_ms` waits for new ones."""
        key = STREAM_PREFIX + channel
        raw = cast(list[Any], self._redis.xread({key: after}, count=500, block=block_ms))
        out: list[tuple[str, Reply]] = []
        for _stream, entries in raw or []:
            for entry_id, fields in entries:
                eid = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                out.append((eid, Reply.model_validate_json(fields[b"reply"])))
        return out

    def last_id(self, channel: str) -> str:
        """The newest entry id, so a new reader starts after what was already there."""
        entries = cast(list[Any], self._redis.xrevrange(STREAM_PREFIX + channel, count=1))
        if not entries:
            return "0-0"
        eid = entries[0][0]
        return eid.decode() if isinstance(eid, bytes) else str(eid)

    # -- consumer groups: each entry handed to one consumer, and pending until acknowledged ------------
    def create_group(self, channel: str, group: str, start: str = "$") -> None:
        """Create `group` on the channel's stream (and the stream) if it is not there yet. `start` "$" hands
        out only what is published from now on, "0" everything the stream holds."""
        try:
            self._redis.xgroup_create(STREAM_PREFIX + channel, group, id=start, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def read_group(
        self, channel: str, group: str, consumer: str, cursor: str = ">", block_ms: int | None = None
    ) -> list[tuple[str, Reply | None]]:
        """Entries after `cursor` in `consumer`'s pending list, or new ones (">"), oldest first; `block_ms` waits
        for new ones. An entry that is not a reply comes back as None: acknowledge it, there is nothing to send."""
        streams: dict[KeyT, StreamIdT] = {STREAM_PREFIX + channel: cursor}
        raw = cast(list[Any], self._redis.xreadgroup(group, consumer, streams, count=GROUP_BATCH, block=block_ms))
        out: list[tuple[str, Reply | None]] = []
        for _stream, entries in raw or []:
            for entry_id, fields in entries:
                out.append((_text(entry_id), _reply_of(fields)))
        return out

    def ack(self, channel: str, group: str, entry_ids: list[str]) -> None:
        """Done with these entries: they leave the group's pending list."""
        self._redis.xack(STREAM_PREFIX + channel, group, *entry_ids)

    def group_caught_up(self, channel: str, group: str) -> bool:
        """Everything in the stream handed out to `group` and acknowledged. False while there is no group."""
        key = STREAM_PREFIX + channel
        try:
            groups = self._redis.xinfo_groups(key)
            last = _text(self._redis.xinfo_stream(key)["last-generated-id"])
        except redis.ResponseError:  # no stream, so no group either
            return False
        found = next((g for g in groups if _text(g["name"]) == group), None)
        return found is not None and not found["pending"] and _text(found["last-delivered-id"]) == last


def _reply_of(fields: dict[bytes, bytes] | None) -> Reply | None:
    raw = (fields or {}).get(b"reply")  # None: the entry was trimmed away while it was pending
    if raw is None:
        return None
    try:
        return Reply.model_validate_json(raw)
    except ValidationError:
        log.warning("outbox entry is not a reply; skipped")
        return None


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
