"""Our reply key -> the platform's id of the message it became, so that an edit finds the message to change.
Kept in Redis for a week (a restarted process still edits what the last one posted), recent pairs in memory
as well. Alert cards that went out inside a digest are remembered as pointing at the digest, marked, so that
their later edits are not mistaken for edits of a whole message."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import NamedTuple

import redis

log = logging.getLogger(__name__)

MSGID_PREFIX = "opsbot:msgid:"
MSGID_TTL_SECONDS = 7 * 24 * 3600
_LOCAL_IDS = 10_000  # recent key -> platform id pairs kept in memory as well
_DIGEST_MARK = "digest:"


class Posted(NamedTuple):
    message_id: str  # the platform's id
    in_digest: bool  # the reply went out as a line of a digest with this id, not as a message of its own


class MessageIds:
    """One channel's map. Redis is called on `io` (the caller's thread pool, which it shuts down when done, so
    that the ids still being stored land first)."""

    def __init__(self, connection: redis.Redis, channel: str, io: ThreadPoolExecutor) -> None:
        self._redis = connection
        self._channel = channel
        self._io = io
        self._recent: OrderedDict[str, str] = OrderedDict()

    def remember(self, key: str, message_id: str) -> Future[None]:
        self._recent[key] = message_id
        while len(self._recent) > _LOCAL_IDS:
            self._recent.popitem(last=False)
        # Never raises: a slow or failing Redis must never turn one post into two through a retry.
        return self._io.submit(self._store, key, message_id)

    async def remember_now(self, key: str, message_id: str) -> None:
        """`remember`, and wait until Redis has it: a process killed right after a post must leave the next one
        knowing that it went out (the time between the platform's answer and this write is the only window
        left in which a kill makes a message go out twice)."""
        await asyncio.shield(asyncio.wrap_future(self.remember(key, message_id)))

    async def remember_digested(self, keys: list[str], message_id: str) -> None:
        """Cards that went out inside the digest `message_id`: stored in one round trip, however many, and waited
        for as `remember_now` is - a digest names many cards, and a kill before they are stored would post them all
        again."""
        value = _DIGEST_MARK + message_id
        for key in keys:
            self._recent[key] = value
        while len(self._recent) > _LOCAL_IDS:
            self._recent.popitem(last=False)
        await asyncio.shield(asyncio.wrap_future(self._io.submit(self._store_many, keys, value)))

    async def already_posted(self, key: str) -> bool:
        """Whether the reply `key` went out before: a holder that died after the platform took a message and
        before its entry was acknowledged leaves it pending, the next holder claims it, and it must not be posted
        twice. Raises redis.RedisError: a deliverer that cannot ask cannot record either, so it stops sending
        and the entry stays pending for the next holder of the channel's lease."""
        return await self.lookup(key) is not None

    async def posted_among(self, keys: list[str]) -> set[str]:
        """Those of `keys` that went out before (see `already_posted`), in one round trip. Raises
        redis.RedisError."""
        found = {key for key in keys if key in self._recent}
        rest = [key for key in keys if key not in found]
        if not rest:
            return found
        values = await asyncio.get_running_loop().run_in_executor(
            self._io, self._redis.mget, [self._redis_key(key) for key in rest]
        )
        return found | {key for key, value in zip(rest, values, strict=True) if value is not None}

    async def lookup(self, key: str) -> Posted | None:
        """Where the reply `key` went, or None if unknown (never posted, or expired). Raises redis.RedisError."""
        value = self._recent.get(key)
        if value is None:
            raw = await asyncio.get_running_loop().run_in_executor(self._io, self._redis.get, self._redis_key(key))
            if raw is None:
                return None
            value = raw.decode() if isinstance(raw, bytes) else str(raw)
        if value.startswith(_DIGEST_MARK):
            return Posted(value[len(_DIGEST_MARK) :], in_digest=True)
        return Posted(value, in_digest=False)

    def _store(self, key: str, message_id: str) -> None:
        try:
            self._redis.set(self._redis_key(key), message_id, ex=MSGID_TTL_SECONDS)
        except redis.RedisError as exc:
            log.warning("%s: could not store the id of reply %s: %s", self._channel, key, type(exc).__name__)

    def _store_many(self, keys: list[str], value: str) -> None:
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(self._redis_key(key), value, ex=MSGID_TTL_SECONDS)
                pipe.execute()
        except redis.RedisError as exc:
            log.warning(
                "%s: could not store the digest of %d replies: %s", self._channel, len(keys), type(exc).__name__
            )

    def _redis_key(self, key: str) -> str:
        return f"{MSGID_PREFIX}{self._channel}:{key}"
