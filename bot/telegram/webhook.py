"""`POST /telegram/webhook`: Telegram pushes updates here in webhook mode. Only a request carrying our
secret token is read (its size capped by the HTTP app; malformed or absurdly nested JSON is a one-line 400);
its update is queued for the same processing as long polling, and Telegram gets its 200 at once (it retries,
and holds back later updates, while we are slow). Every replica behind the webhook may take any request: an update
Telegram delivers again, or the same request sent again, is dropped by the adapter's first-time check
(bot/telegram/repeats.py), the same for both ways of receiving."""

from __future__ import annotations

import asyncio
import hmac
import logging

from starlette.requests import Request
from starlette.responses import Response
from telegram import Bot, Update

from bot.http import Unreadable, json_object

log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret


class WebhookEndpoint:
    def __init__(self, bot: Bot, queue: asyncio.Queue[object], secret: str) -> None:
        self._bot = bot
        self._queue = queue
        self._secret = secret.encode()

    async def handle(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return Response("unauthorized", status_code=401)
        update = self._parse(await request.body())  # its size is limited by the HTTP app (bot/http.py)
        if update is None:
            return Response("not a Telegram update", status_code=400)
        await self._queue.put(update)
        return Response(status_code=200)

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
