"""Alert cards go ahead of ordinary replies: 600 replies queued for one Slack channel, then a critical card - the
card is the next message the channel gets (one already on its way may land first), and the 600 keep their order.
Same when Telegram's overall limit is what everyone waits for. Arrival times are the fakes' own stamps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import redis
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot

import bot.telegram  # noqa: F401 - sets PTB_TIMEDELTA before any 429 is parsed
from bot.channels import Rate
from bot.delivery import Deliverer
from bot.slack.transport import SlackTransport
from bot.telegram.transport import TelegramTransport
from core.models import ConversationRef, Reply
from core.outbox import Outbox
from fakes.slack_api import FakeSlackApi
from fakes.telegram_api import FakeTelegramAPI
from tests.delivery.recording import until, until_idle
from tests.telegram.conftest import TOKEN

FLOOD = 600
INCIDENT_GROUP = -1002222222222
CARD = "FIRING\nALERT 9 CRIT web-prod: 5xx above 5%"


async def _flood_then_card(
    deliverer: Deliverer, conn: redis.Redis, flood: list[Reply], card: Reply, sent: Callable[[], int],
    clock: Callable[[], float],
) -> float:  # fmt: skip
    """Publish the flood, let some of it out, publish the card; returns when the card was published."""
    outbox = Outbox(conn)
    for reply in flood:
        outbox.publish(reply)
    task = asyncio.create_task(deliverer.run())
    try:
        await until(lambda: sent() >= 30, "some of the flood sent")
        published = clock()
        outbox.publish(card)
        await until_idle(deliverer, timeout=60)
    finally:
        await deliverer.stop()
        await task
    return published


def test_a_card_overtakes_600_queued_replies_in_its_slack_channel(
    fake_slack: FakeSlackApi, redis_conn: redis.Redis
) -> None:
    room = ConversationRef(channel="slack", conversation_id="C0INCIDENT")
    flood = [Reply(ref=room, key=f"r{n}", text=f"reply {n}") for n in range(FLOOD)]
    card = Reply(ref=room, key="alert-9.n-0123456789", text=CARD)

    async def run() -> float:
        transport = SlackTransport(AsyncWebClient(token="xoxb-test", base_url=fake_slack.url), min_interval=0.01)
        deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
        return await _flood_then_card(
            deliverer, redis_conn, flood, card, lambda: len(fake_slack.messages), time.monotonic
        )

    published = asyncio.run(run())

    texts = [c.body["text"] for c in fake_slack.calls_to("chat.postMessage")]
    assert [t for t in texts if t != CARD] == [f"reply {n}" for n in range(FLOOD)]
    after = [c.body["text"] for c in fake_slack.calls_to("chat.postMessage") if c.at >= published]
    assert CARD in after[:2], after[:5]  # the next slot, or the one after a send already under way


def test_a_card_overtakes_600_replies_waiting_on_telegrams_overall_limit(
    api: FakeTelegramAPI, redis_conn: redis.Redis
) -> None:
    chats = [1000 + n for n in range(60)]
    flood = [
        Reply(ref=ConversationRef(channel="telegram", conversation_id=str(chats[n % 60])), key=f"r{n}", text=f"r {n}")
        for n in range(FLOOD)
    ]
    card = Reply(
        ref=ConversationRef(channel="telegram", conversation_id=str(INCIDENT_GROUP)), key="alert-9.n-x", text=CARD
    )
    roomy = Rate(per_second=1000, burst=20)  # each chat could take more: the overall limit is what binds

    async def run() -> float:
        async with Bot(TOKEN, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot") as tg_bot:
            transport = TelegramTransport(tg_bot, chat=roomy, group=roomy, overall=Rate(per_second=60, burst=1))
            deliverer = Deliverer(transport, Outbox(redis_conn), redis_conn)
            return await _flood_then_card(
                deliverer, redis_conn, flood, card, lambda: len(api.calls("sendMessage")), time.perf_counter
            )

    published = asyncio.run(run())

    sends = api.calls("sendMessage")
    for chat in chats:
        assert [m.text for m in api.messages(chat)] == [f"r {n}" for n in range(FLOOD) if n % 60 == chat - 1000]
    after = [c.params["text"] for c in sends if c.at >= published]
    assert CARD in after[:2], after[:5]
    assert len(sends) == FLOOD + 1
