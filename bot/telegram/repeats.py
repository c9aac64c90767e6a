"""Each Telegram update is handled once, by one replica, whichever way it came: a webhook request Telegram sent
again, the same request replayed, or - in long polling - a batch a poller fetched and never confirmed, fetched again
by the next poller after a takeover. Its update_id is claimed in Redis, which every replica shares, for a day
(Telegram keeps an unconfirmed update for 24 hours); while Redis fails, this process remembers the last ones."""

from __future__ import annotations

import logging
from collections import OrderedDict

import redis

from bot.intake.auth import OrderedReplayGuard, ReplayGuard

log = logging.getLogger(__name__)

SEEN_PREFIX = "opsbot:telegram:seen:"
SEEN_SECONDS = 86_400
_IN_MEMORY = 2_000  # update ids remembered in memory while Redis fails


class FirstUpdates:
    def __init__(self, replays: ReplayGuard) -> None:
        self._replays = OrderedReplayGuard(replays, ttl_seconds=SEEN_SECONDS)
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def first(self, update_id: int) -> bool:
        """False for an update already handled. Asked in arrival order (one Redis thread), so updates are still
        handed on in the order they came."""
        try:
            first = await self._replays.first_time(f"update:{update_id}")
        except redis.RedisError as exc:
            log.warning("telegram: Redis failed checking for a repeat (%s); remembering in memory",
                        type(exc).__name__)  # fmt: skip
            first = update_id not in self._seen
            self._seen[update_id] = None
            if len(self._seen) > _IN_MEMORY:
                self._seen.popitem(last=False)
        if not first:
            log.info("telegram: dropped update %s, already handled", update_id)
        return first

    def close(self) -> None:
        self._replays.close()
