"""A named lease in Redis, held by one process at a time: the leader of something only one replica may do at once
(a channel's delivery, Telegram's long polling). The holder renews it; a holder that dies or loses Redis stops
renewing, and the lease passes to another within its time to live.

A holder must not act past `valid_until` (monotonic): by then another may hold the lease. The deadline is taken
before the renewal is sent, so a slow reply only shortens it."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

import redis

from core.settings import Settings

PREFIX = "opsbot:lease:"

# Renew or take: the lease is ours if it is free or already ours. Returns 1 when held afterwards.
_TAKE = """
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Lease:
    """`take()` as often as every ttl/3 keeps it; `release()` hands it over at once (a clean stop)."""

    def __init__(
        self, connection: redis.Redis, name: str, holder: str, *, ttl_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.key = PREFIX + name
        self.holder = holder
        self.ttl_seconds = ttl_seconds
        self._ttl_ms = max(1, int(ttl_seconds * 1000))
        self._clock = clock
        self._take = connection.register_script(_TAKE)
        self._release = connection.register_script(_RELEASE)
        self._redis = connection
        self.valid_until = 0.0  # monotonic; 0: not held

    @property
    def renew_every(self) -> float:
        return self.ttl_seconds / 3

    def held(self) -> bool:
        """Held, as far as this process can know without asking Redis."""
        return self._clock() < self.valid_until

    def take(self) -> bool:
        """Take the lease if it is free, or renew it if it is ours. Raises redis.RedisError; while Redis fails,
        `held()` turns False by itself when the last renewal runs out."""
        started = self._clock()
        if int(self._take(keys=[self.key], args=[self.holder, self._ttl_ms])):
            self.valid_until = started + self.ttl_seconds
            return True
        self.valid_until = 0.0
        return False

    def release(self) -> None:
        """Give the lease up now, if it is still ours."""
        self.valid_until = 0.0
        self._release(keys=[self.key], args=[self.holder])

    def current_holder(self) -> str | None:
        raw = self._redis.get(self.key)
        return raw.decode() if isinstance(raw, bytes) else raw


def replica_name(settings: Settings) -> str:
    """This process among the replicas: OPSBOT_REPLICA_NAME, else its host name and process id (unique on a host,
    and a restarted process is a new replica, so it never mistakes a dead one's lease or entries for its own)."""
    if settings.replica_name is not None:
        return settings.replica_name
    return f"{socket.gethostname()}-{os.getpid()}"
