"""Replies on the "app" channel: the JSON the dashboard reads, and a small Redis stream per app conversation (one
per signed-in identity) that the AppTransport appends to and the live stream (bot.web.live) reads. Capped and
expiring: a page that never comes back leaves nothing behind for long."""

from __future__ import annotations

import json
from typing import Any, cast

import redis

from core.models import Reply

PREFIX = "opsbot:web:replies:"
KEEP = 200  # replies kept per conversation: more than a phone misses while it changes networks
EXPIRE_SECONDS = 24 * 3600  # a conversation nobody wrote to for a day is forgotten


def stream_key(identity: str) -> str:
    return PREFIX + identity


def reply_view(reply: Reply) -> dict[str, Any]:
    """What the dashboard shows of a reply: text, kind, buttons (presses go back to /app/api/say) and which earlier
    reply it replaces (`edit_of`)."""
    buttons = [{"id": b.id, "label": b.label, "style": b.style, "url": b.url} for b in reply.buttons]
    return {"key": reply.key, "text": reply.text, "kind": reply.kind, "buttons": buttons, "edit_of": reply.edit_of}


def append(connection: redis.Redis, reply: Reply) -> str:
    """Adds `reply` to its conversation's stream; returns the entry id."""
    key = stream_key(reply.ref.conversation_id)
    with connection.pipeline(transaction=False) as pipe:
        pipe.xadd(key, {"r": json.dumps(reply_view(reply))}, maxlen=KEEP, approximate=False)
        pipe.expire(key, EXPIRE_SECONDS)
        added = pipe.execute()[0]
    return added.decode() if isinstance(added, bytes) else str(added)


def last_id(connection: redis.Redis, identity: str) -> str:
    entries = cast(list[tuple[bytes, Any]], connection.xrevrange(stream_key(identity), count=1))
    return entries[0][0].decode() if entries else "0-0"


def since(connection: redis.Redis, identity: str, after: str) -> list[tuple[str, dict[str, Any]]]:
    """The replies after entry `after`, oldest first (what a reconnecting page missed)."""
    entries = cast(
        list[tuple[bytes, dict[bytes, bytes]]], connection.xrange(stream_key(identity), min=f"({after}", count=KEEP)
    )
    return [(entry_id.decode(), json.loads(fields[b"r"])) for entry_id, fields in entries]
