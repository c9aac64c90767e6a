"""Keeping each user's Slack Home tab current: published when they open it (app_home_opened), and again when the
board changes (core.changes), for whoever opened it in the last hour.

Who opened it, and when each was last published, are kept in Redis, so any replica may refresh any user: each
replica follows the change feed, and the first to claim a user's 5-second slot publishes (at most once per user
per 5 s however busy the feed is; a change inside the slot is published when it ends)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, cast

import redis
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import home
from conversation.board import Board, build_board
from conversation.services import Services
from core import changes
from core.models import ConversationRef

log = logging.getLogger(__name__)

OPENED = "opsbot:slack:home:opened"  # sorted set: Slack user id -> when they last opened the tab
SLOT = "opsbot:slack:home:slot:"  # + user id: exists while their tab was published less than `debounce` ago
SHOWN = "opsbot:slack:home:shown:"  # + user id: the feed entry their last published tab was built after
KEEP_SECONDS = 3600.0  # a tab not opened for an hour is no longer refreshed
DEBOUNCE_SECONDS = 5.0
WAIT_MS = 1000  # one blocking read of the feed: also how soon a user whose slot was taken is tried again
RETRY_SECONDS = 2.0  # after Redis failed


class HomeTab:
    def __init__(self, client: AsyncWebClient, services: Services, *, debounce: float = DEBOUNCE_SECONDS,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self._client = client
        self._services = services
        self._redis = services.connection
        self._debounce_ms = max(1, int(debounce * 1000))
        self._clock = clock
        self._dirty: dict[str, str] = {}  # user -> the newest change their tab has not shown, waiting for their slot
        self._task: asyncio.Task[None] | None = None

    # -- what the adapter calls --------------------------------------------------------------------------
    async def opened(self, slack_user: str) -> None:
        """The user opened the tab: remember them for an hour and show them the board now."""
        try:
            await asyncio.to_thread(self._remember, slack_user)
        except redis.RedisError as exc:  # shown now all the same; refreshed again once Redis is back
            log.warning("slack home: could not remember %s opened it (%s)", slack_user, type(exc).__name__)
        await self.publish(slack_user)

    async def publish(self, slack_user: str) -> None:
        view = await asyncio.to_thread(self.view_for, slack_user)
        try:
            await self._client.views_publish(user_id=slack_user, view=view)
        except SlackApiError as exc:
            log.warning("slack home: views.publish for %s refused: %s", slack_user, exc.response.get("error"))

    async def open_emergency(self, slack_user: str, trigger_id: str) -> None:
        """The Emergency modal (views.open: the trigger_id is good for 3 s, once)."""
        board = await asyncio.to_thread(self.board_for, slack_user)
        try:
            await self._client.views_open(trigger_id=trigger_id, view=home.emergency_modal(board))
        except SlackApiError as exc:
            log.warning("slack: views.open for %s refused: %s", slack_user, exc.response.get("error"))

    def view_for(self, slack_user: str) -> dict[str, Any]:
        board = self.board_for(slack_user)
        if board is None:
            return home.stranger_view()
        url = self._services.settings.public_url
        return home.home_view(board, url.rstrip("/") + home.APP_PATH if url is not None else None)

    def board_for(self, slack_user: str) -> Board | None:
        """The board of the opsbot user behind `slack_user`; None for a stranger, who is shown nothing."""
        policy = self._services.policy
        user = policy.user_for("slack", slack_user)
        if policy.role_of(user, ConversationRef(channel="slack", conversation_id=slack_user)) is None:
            return None
        return build_board(self._services, user)

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="slack-home")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    # -- following the change feed ------------------------------------------------------------------------
    async def _follow(self) -> None:
        after: str | None = None
        while True:
            try:
                if after is None:
                    after = await asyncio.to_thread(changes.latest, self._redis)
                seen = await asyncio.to_thread(changes.read, self._redis, after, block_ms=WAIT_MS)
                if seen:
                    after = seen[-1].id
                    self._dirty |= dict.fromkeys(await asyncio.to_thread(self._watching), after)
                for user, change in sorted(self._dirty.items()):
                    claimed = await asyncio.to_thread(self._claim, user, change)
                    if claimed is not None:
                        del self._dirty[user]
                    if claimed:
                        await self.publish(user)
            except redis.RedisError as exc:
                log.warning("slack home: the change feed failed (%s); trying again", type(exc).__name__)
                await asyncio.sleep(RETRY_SECONDS)
            except Exception:  # a board that fails to build for one user must not stop the others' refreshes
                log.exception("slack home: refreshing failed")
                await asyncio.sleep(RETRY_SECONDS)

    def _remember(self, slack_user: str) -> None:
        pipe = self._redis.pipeline()
        pipe.zadd(OPENED, {slack_user: self._clock()})
        pipe.set(SLOT + slack_user, 1, px=self._debounce_ms)  # just published: the next refresh waits its slot
        pipe.execute()

    def _watching(self) -> list[str]:
        """Who opened their tab in the last hour (older entries are dropped on the way)."""
        cutoff = self._clock() - KEEP_SECONDS
        self._redis.zremrangebyscore(OPENED, "-inf", cutoff)
        members = cast(list[bytes], self._redis.zrangebyscore(OPENED, cutoff, "+inf"))
        return [m.decode() for m in members]

    def _claim(self, slack_user: str, change: str) -> bool | None:
        """True: this replica publishes the user's tab now. False: another replica already showed `change` (nothing
        to do). None: the user's slot is taken; try again."""
        shown = self._redis.get(SHOWN + slack_user)
        if shown is not None and _entry(cast(bytes, shown).decode()) >= _entry(change):
            return False
        if not self._redis.set(SLOT + slack_user, 1, nx=True, px=self._debounce_ms):
            return None
        self._redis.set(SHOWN + slack_user, change, ex=int(KEEP_SECONDS))
        return True


def _entry(entry_id: str) -> tuple[int, int]:
    """A stream entry id ("1765000000000-3") as something that orders like the stream."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
