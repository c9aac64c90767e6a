"""The one way to make an outside effect (a cloud action, an SMS, a call) happen once even across a Redis failover:
a "done once" mark that is only acted on once it is on every replica the sentinels could promote (`hold_once`).
A mark written to a master that then fails over may be lost; the next try finds it gone and makes it again on the
new master, or finds another run's."""

from __future__ import annotations

import enum
import logging
import uuid

import redis

from core.redis import replicated
from core.retrying import RetryPolicy

# How long a write waits to be on every promotable replica: a failover leaves no settled master for one to a few
# seconds (docs/redis.md); past this the caller is told, rather than acting on a write a failover may still lose.
DURABLE = RetryPolicy(deadline=20.0, first=0.2, most=1.0)
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

log = logging.getLogger(__name__)


class Hold(enum.Enum):
    """What `hold_once` found."""

    OURS = "ours"  # the mark is ours and on every promotable replica: act now, once
    TAKEN = "taken"  # another run made the mark: it acted (or is acting); do not act again
    UNSURE = "unsure"  # the mark could not be made safe in time: nobody may act on it yet


def hold_once(connection: redis.Redis, key: str, *, ttl: int, patience: RetryPolicy = DURABLE) -> Hold:
    """Make the mark `key` ours, unless another run made it, and wait until it is on every replica the sentinels
    could promote, before an outside effect (a cloud action, an SMS) is made on the strength of it. A mark written
    to a master that then fails over may be lost: the next try finds it gone and makes it again on the new master
    (or finds another run's). UNSURE takes our mark back (as far as Redis lets us), so a later run can act."""
    owner = uuid.uuid4().hex

    def attempt() -> Hold:
        if not connection.set(key, owner, nx=True, ex=ttl) and connection.get(key) != owner.encode():
            return Hold.TAKEN
        if not replicated(connection) or connection.get(key) != owner.encode():
            raise TimeoutError(f"{key} is not on every replica yet")
        return Hold.OURS

    try:
        return patience.retrying(_not_durable_yet)(attempt)
    except (TimeoutError, redis.RedisError) as exc:
        log.warning("%s not made safe from a failover in time (%s); leaving it for a later run", key, exc)
        try:
            connection.eval(_RELEASE, 1, key, owner)
        except redis.RedisError:
            log.warning("%s could not be taken back; a later run will take it as done", key)
        return Hold.UNSURE


def _not_durable_yet(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError | redis.RedisError)
