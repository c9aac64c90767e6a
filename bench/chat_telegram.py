"""Telegram end to end on loopback: an update POSTed to /telegram/webhook (with the secret token) -> the reply
arriving at a Bot API stand-in. The bot is a real `opsbot serve` process in webhook mode (python-telegram-bot,
the Inbox, the conversation core with its in-process worker, the outbox, the Deliverer) on the default
10,000-resource inventory; this process sends the updates and plays Telegram. One private chat at a time,
then 200 chats at once - where the Deliverer keeps to Telegram's 30 messages a second, so that figure shows
the limit, not the bot. Then one person sending ten commands back to back in one private chat, and in one
forum topic of a group: the first few replies go out at once (a short burst), the rest at Telegram's pace
(about one a second into a chat, 20 a minute into a group).

Uses the Redis at OPSBOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/13) and FLUSHES that database.
The Bot API here is a minimal sink that notes when each chat's first message arrives (the full fake, with
its bookkeeping, lives with the tests)."""

from __future__ import annotations

import asyncio
import copy
import functools
import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bench.chat_rounds import at_once, back_to_back, burst_figures, one_at_a_time
from bench.figures import Figure
from bench.loopback import FirstArrivals, ServeProcess, bench_redis, free_port, policy_without_rate_limits
from bot.telegram.transport import BURST
from core.metrics import quantile

TOKEN = "7000000002:AAbenchbenchbenchbenchbenchbenchben"
SECRET = "bench-webhook-secret"
ROUNDS = 200
AT_ONCE = 200
BACK_TO_BACK = 10
GROUP = -1001234567890  # a forum supergroup the policy lets opsbot answer in
TOPIC = 7
PER_SECOND = 30  # Telegram's overall limit, which the Deliverer keeps to
BOT_USER: dict[str, Any] = {"id": 7000000002, "is_bot": True, "first_name": "opsbot", "username": "OpsBenchBot"}
# Telegram's docs example of a text message (core.telegram.org/bots/webhooks, "Testing your bot with updates"),
# with the `is_bot` that real updates carry.
TEXT_UPDATE: dict[str, Any] = {
    "update_id": 10000,
    "message": {
        "date": 1441645532,
        "chat": {"last_name": "Test Lastname", "id": 1111111, "type": "private", "first_name": "Test Firstname",
                 "username": "Testusername"},
        "message_id": 1365,
        "from": {"last_name": "Test Lastname", "id": 1111111, "is_bot": False, "first_name": "Test Firstname",
                 "username": "Testusername"},
        "text": "/start",
    },
}  # fmt: skip


def run() -> list[Figure]:
    url = bench_redis("redis://127.0.0.1:6379/13")
    if url is None:
        return [Figure("telegram: skipped, no Redis at OPSBOT_BENCH_REDIS_URL", 0, "")]
    sink = _Sink().start()
    try:
        with tempfile.TemporaryDirectory() as tmp, _serve(Path(tmp), url, sink.url) as base:
            send = functools.partial(_send, base)
            # One chat after another, spaced so that the 30/s limit never holds a reply back.
            asyncio.run(one_at_a_time(send, sink, range(1_000, 1_010), gap=1 / PER_SECOND))  # warm: caches
            one, acks = asyncio.run(one_at_a_time(send, sink, range(2_000, 2_000 + ROUNDS), gap=1 / PER_SECOND))
            many, seconds = asyncio.run(at_once(send, sink, list(range(3_000, 3_000 + AT_ONCE))))
            chat = asyncio.run(back_to_back(send, sink, 4_000, BACK_TO_BACK))
            topic = asyncio.run(back_to_back(send, sink, GROUP, BACK_TO_BACK))
    finally:
        sink.stop()
    return [
        Figure("telegram update -> reply sent, p50", quantile(one, 0.5) * 1000, "ms"),
        Figure("telegram update -> reply sent, p99", quantile(one, 0.99) * 1000, "ms", "<= 50 ms"),
        Figure("telegram webhook answered, p99", quantile(acks, 0.99) * 1000, "ms"),
        Figure(f"telegram {AT_ONCE} chats at once, throughput", AT_ONCE / seconds, "replies/s",
               f"~{PER_SECOND}/s, Telegram's limit"),
        Figure(f"telegram {AT_ONCE} chats at once, p50", quantile(many, 0.5) * 1000, "ms"),
        Figure(f"telegram {AT_ONCE} chats at once, p99", quantile(many, 0.99) * 1000, "ms"),
        *_burst_figures("chat", chat, "~1000 ms, Telegram's 1/s a chat"),
        *_burst_figures("topic", topic, "~3500 ms, Telegram's 20/min a group"),
    ]  # fmt: skip


def _burst_figures(where: str, latencies: list[float], pace: str) -> list[Figure]:
    return burst_figures(f"telegram {BACK_TO_BACK} in a row, {where}:", latencies, BURST, pace)


def _serve(tmp: Path, redis_url: str, api_url: str) -> ServeProcess:
    """`opsbot serve` with Telegram only, in webhook mode; senders are viewers."""
    port = free_port()
    # Thousands of private chats, each its own sender: everyone is let in as a viewer.
    policy = policy_without_rate_limits(tmp, groups={f"telegram:{GROUP}": "ops topics"}, default_role="viewer")
    return ServeProcess(tmp, redis_url, {
        "OPSBOT_POLICY": str(policy),
        "OPSBOT_TELEGRAM_TOKEN": TOKEN,
        "OPSBOT_TELEGRAM_API_URL": api_url,
        "OPSBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "OPSBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }, port=port)  # fmt: skip


_update_ids = itertools.count(1)


def _update(chat: int) -> bytes:
    """The docs example saying "status" in the private chat of user `chat`, or (a negative `chat`) as a
    command to the bot in topic TOPIC of that forum group."""
    body = copy.deepcopy(TEXT_UPDATE)
    body["update_id"] = next(_update_ids)
    message = body["message"]
    message["chat"]["id"] = message["from"]["id"] = chat
    message["message_id"] = next(_update_ids)
    message["text"] = "status"
    if chat < 0:
        message["from"]["id"] = 1111111
        message["chat"] = {"id": chat, "type": "supergroup", "title": "ops", "is_forum": True}
        message.update(text=f"/status@{BOT_USER['username']}", message_thread_id=TOPIC, is_topic_message=True)
    return json.dumps(body).encode()


async def _send(base: str, client: httpx.AsyncClient, chat: int) -> tuple[float, float]:
    """(monotonic time sent, seconds until the webhook answered)."""
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    start = time.monotonic()
    response = await client.post(base + "/telegram/webhook", content=_update(chat), headers=headers)
    response.raise_for_status()
    return start, time.monotonic() - start


class _Sink(FirstArrivals):
    """A Bot API that answers what `opsbot serve` calls."""

    route = "/bot{token}/{method}"

    def __init__(self) -> None:
        super().__init__("bench-telegram-api")
        self.url = f"http://127.0.0.1:{self.port}"
        self._message_ids = itertools.count(1)

    async def answer(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT_USER})
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        form = await request.post()
        chat = int(str(form["chat_id"]))
        self.arrived(chat)
        kind = "private" if chat > 0 else "supergroup"
        message = {"message_id": next(self._message_ids), "from": BOT_USER, "date": int(time.time()),
                   "chat": {"id": chat, "type": kind}, "text": str(form.get("text", ""))}  # fmt: skip
        return web.json_response({"ok": True, "result": message})
