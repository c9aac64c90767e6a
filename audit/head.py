"""The chain head kept outside the file, in Redis: the last record's sequence number, hash and time. Someone who
cuts records from the end of the log, or rewrites it, cannot also move this back without access to Redis. It only
ever moves forward (a Lua script compares sequence numbers), and it is best effort: a Redis failure never fails
an append."""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

HEAD_KEY = "opsbot:audit:head"
HEAD_PAUSE_SECONDS = 10.0

# KEYS[1] = the head; ARGV = seq, hash, at. Moves the head only forward; 1 when it moved.
_FORWARD = """
local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
if tonumber(ARGV[1]) > current then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'hash', ARGV[2], 'at', ARGV[3])
  return 1
end
return 0
"""


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    at: float


class HeadStore:
    def __init__(self, connection: redis.Redis) -> None:
        self._connection = connection
        self._forward = connection.register_script(_FORWARD)

    def advance(self, head: Head) -> bool:
        """Record `head` unless Redis already knows a later one. Raises redis.RedisError."""
        return bool(self._forward(keys=[HEAD_KEY], args=[head.seq, head.hash, repr(head.at)]))

    def read(self) -> Head | None:
        """The head Redis holds, or None when nothing was ever recorded. Raises redis.RedisError."""
        raw = self._connection.hgetall(HEAD_KEY)
        fields = {_text(k): _text(v) for k, v in raw.items()}
        if not {"seq", "hash", "at"} <= fields.keys():
            return None
        return Head(int(fields["seq"]), fields["hash"], float(fields["at"]))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class HeadKeeper:
    """Moves the head after each record, best effort: after a Redis failure it leaves Redis alone for
    `pause` seconds (the next record catches up), so no append waits on a Redis that is down."""

    def __init__(self, connection: redis.Redis, pause: float = HEAD_PAUSE_SECONDS) -> None:
        self._heads = HeadStore(connection)
        self._pause = pause
        self._paused_until = 0.0  # monotonic

    @property
    def paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def advance(self, head: Head) -> redis.RedisError | None:
        """Record `head` unless paused; the Redis error when that failed (then paused), else None."""
        if self.paused:
            return None
        try:
            self._heads.advance(head)
        except redis.RedisError as exc:
            self._paused_until = time.monotonic() + self._pause
            return exc
        return None
