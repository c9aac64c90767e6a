"""Bytes a reply carries (an export file) wait in Redis under a key of their own, for a day: the outbox entry names
the key instead of holding megabytes, and whichever replica delivers the reply reads them from there."""

from __future__ import annotations

import secrets

import redis

from core.errors import OpsbotError

PREFIX = "opsbot:blob:"
KEEP_SECONDS = 86_400
MOST_BYTES = 50 * 1024 * 1024  # Telegram's limit for a bot's document; Slack takes more, nobody reads more on a phone


class BlobTooLarge(OpsbotError):
    """More bytes than any platform takes from a bot."""


def put(connection: redis.Redis, data: bytes, *, keep_seconds: int = KEEP_SECONDS) -> str:
    """Store `data`; returns its key."""
    if len(data) > MOST_BYTES:
        raise BlobTooLarge(f"{len(data):,} bytes is over the {MOST_BYTES:,} a chat file may have")
    key = PREFIX + secrets.token_hex(12)
    connection.set(key, data, ex=keep_seconds)
    return key


def get(connection: redis.Redis, key: str) -> bytes | None:
    """The bytes under `key`, or None once they expired (or the key is not a blob's)."""
    if not key.startswith(PREFIX):
        return None
    found = connection.get(key)
    if found is None:
        return None
    return found if isinstance(found, bytes) else found.encode("latin-1")  # a client that decodes replies
