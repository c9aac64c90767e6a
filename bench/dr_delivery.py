"""A DR status broadcast to 10 incident channels (5 Slack channels, 5 Telegram groups), the whole way: published by
core.broadcast into the outbox, read and sent by the real Deliverers (slack_sdk's AsyncWebClient, python-telegram-bot's
Bot) with the platforms' real rate limits (bot.slack.transport, bot.telegram.transport), to the loopback fakes.
Timed from before the publish to each platform's last arrival, on the fakes' own arrival stamps (Slack: monotonic,
Telegram: perf_counter; each compared with the same clock read before the publish). Rounds are a second apart, as
the watcher's broadcasts are at least that: each group's burst of 3 and Telegram's 30 a second overall allow it."""

from __future__ import annotations

import asyncio
import time

import redis
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot

import bot.telegram  # noqa: F401 - sets PTB_TIMEDELTA before any 429 is parsed
from bot.delivery import Deliverer
from bot.slack.transport import SlackTransport
from bot.telegram.transport import TelegramTransport
from core.broadcast import broadcast
from core.outbox import Outbox
from fakes.slack_api import FakeSlackApi
from fakes.telegram_api import FakeTelegramAPI

TOKEN = "123456:bench-dr-token"  # the fake's: no real bot
SLACK = [f"slack:C0INC{n}" for n in range(5)]
TELEGRAM = [f"telegram:-10000000000{n}" for n in range(5)]
ROUND_GAP_SECONDS = 1.0


def delivered(connection: redis.Redis, rounds: int) -> list[float]:
    """Per round: publish -> the last of the 10 messages at its platform, in seconds."""
    with FakeTelegramAPI(TOKEN) as telegram:
        slack = FakeSlackApi().start()
        try:
            return asyncio.run(_rounds(connection, slack, telegram, rounds))
        finally:
            slack.stop()


async def _rounds(connection: redis.Redis, slack: FakeSlackApi, telegram: FakeTelegramAPI, rounds: int) -> list[float]:
    outbox = Outbox(connection)
    client = AsyncWebClient(token="xoxb-bench", base_url=slack.url)
    async with Bot(TOKEN, base_url=f"{telegram.url}/bot", base_file_url=f"{telegram.url}/file/bot") as tg_bot:
        deliverers = [
            Deliverer(SlackTransport(client), outbox, connection, consumer="bench-dr"),
            Deliverer(TelegramTransport(tg_bot), outbox, connection, consumer="bench-dr"),
        ]
        tasks = [asyncio.create_task(d.run()) for d in deliverers]
        try:
            await _leading(deliverers)
            times = []
            for n in range(rounds):
                times.append(await _one(outbox, slack, telegram, n))
                await asyncio.sleep(ROUND_GAP_SECONDS)
            return times
        finally:
            for deliverer in deliverers:
                await deliverer.stop()
            await asyncio.gather(*tasks)


async def _leading(deliverers: list[Deliverer], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(d.leading for d in deliverers):
        if time.monotonic() > deadline:
            raise RuntimeError("dr bench: the deliverers never took their channels' leases")
        await asyncio.sleep(0.01)


async def _one(outbox: Outbox, slack: FakeSlackApi, telegram: FakeTelegramAPI, n: int) -> float:
    before_slack, before_tg = len(slack.calls_to("chat.postMessage")), len(telegram.calls("sendMessage"))
    mono, perf = time.monotonic(), time.perf_counter()
    await asyncio.to_thread(broadcast, outbox, SLACK + TELEGRAM, f"failover 1 of web: step {n + 1} of 9 running")
    deadline = time.monotonic() + 30.0
    while True:
        posted = slack.calls_to("chat.postMessage")[before_slack:]
        sent = telegram.calls("sendMessage")[before_tg:]
        if len(posted) >= len(SLACK) and len(sent) >= len(TELEGRAM):
            return max(max(c.at for c in posted) - mono, max(c.at for c in sent) - perf)
        if time.monotonic() > deadline:
            raise RuntimeError(f"dr bench: {len(posted)} Slack and {len(sent)} Telegram messages after 30 s, not 5+5")
        await asyncio.sleep(0.002)
