"""`POST /telegram/webhook`: Telegram pushes updates here in webhook mode. Only a request carrying our
secret token is read (its size capped by the HTTP app; malformed or absurdly nested JSON is a one-line 400);
its update is queued for the same processing as long polling, and Telegram gets its 200 at once (it retries,
and holds back later updates, while we are slow). An update_id seen in the last 10 minutes - Telegram's
redelivery, or the same request sent again - is acknowledged and dropped; the ids are kept in Redis, which
every replica behind the webhook shares, and in memory while Redis fails."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import OrderedDict

import redis
from starlette.requests import Request
from starlette.responses import Response
from telegram import Bot, Update

from bot.http import Unreadable, json_object
from bot.intake.auth import OrderedReplayGuard

log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
_SEEN = 2_000  # update ids remembered in memory while Redis fails


class WebhookEndpoint:
    def __init__(self, bot: Bot, queue: asyncio.Queue[object], secret: str, replays: OrderedReplayGuard) -> None:
        self._bot = bot
        self._queue = queue
        self._secret = secret.encode()
        self._replays = replays
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def handle(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return Response("unauthorized", status_code=401)
        update = self._parse(await request.body())  # its size is limited by the HTTP app (bot/http.py)
        if update is None:
            return Response("not a Telegram update", status_code=400)
        if await self._first(update.update_id):
            await self._queue.put(update)
        return Response(status_code=200)

    async def _first(self, update_id: int) -> bool:
        """Asked in arrival order (one Redis thread), so updates still reach the queue in the order they came."""
        try:
            return await self._replays.first_time(f"update:{update_id}")
        except redis.RedisError as exc:
            log.warning("telegram webhook: Redis failed checking for a repeat (%s); remembering in memory",
                        type(exc).__name__)  # fmt: skip
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > _SEEN:
            self._seen.popitem(last=False)
        return True

    def _parse(self, body: bytes) -> Update | None:
        try:
            data = json_object(body)
        except Unreadable as exc:
            log.warning("telegram webhook: refused a body: %s", exc)
            return None
        if not isinstance(data.get("update_id"), int):
            return None
        try:
            return Update.de_json(data, self._bot)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # valid JSON, not an Update
            log.warning("telegram webhook: unreadable update %s: %s", data["update_id"], type(exc).__name__)
            return None
