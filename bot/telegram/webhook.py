"""`POST /telegram/webhook`: Telegram pushes updates here in webhook mode. Only a request carrying our
secret token is read; its update is queued for the same processing as long polling, and Telegram gets
its 200 at once (it retries, and holds back later updates, while we are slow)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import OrderedDict

from starlette.requests import Request
from starlette.responses import Response
from telegram import Bot, Update

log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
_SEEN = 2_000  # recent update ids remembered: Telegram redelivers an update it saw no 200 for


class WebhookEndpoint:
    def __init__(self, bot: Bot, queue: asyncio.Queue[object], secret: str) -> None:
        self._bot = bot
        self._queue = queue
        self._secret = secret.encode()
        self._seen: OrderedDict[int, None] = OrderedDict()

    async def handle(self, request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return Response("unauthorized", status_code=401)
        update = self._parse(await request.body())  # its size is limited by the HTTP app (bot/http.py)
        if update is None:
            return Response("not a Telegram update", status_code=400)
        if update.update_id in self._seen:
            return Response(status_code=200)
        self._seen[update.update_id] = None
        if len(self._seen) > _SEEN:
            self._seen.popitem(last=False)
        await self._queue.put(update)
        return Response(status_code=200)

    def _parse(self, body: bytes) -> Update | None:
        try:
            data = json.loads(body)
        except ValueError:  # includes bad UTF-8
            return None
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return None
        try:
            return Update.de_json(data, self._bot)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # valid JSON, not an Update
            log.warning("telegram webhook: unreadable update %s: %s", data["update_id"], type(exc).__name__)
            return None
