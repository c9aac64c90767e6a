"""Replies produced away from the chat path (progress, results) travel through a Redis stream per
channel; each channel adapter reads its stream and delivers in order. Workers never import an SDK."""

from __future__ import annotations

from typing import Any, cast

import redis

from core.models import Reply

STREAM_PREFIX = "opsbot:outbox:"
MAX_LEN = 10_000


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
