"""The Deliverer with the real Slack and Telegram clients against the loopback platforms: one person's ten
quick commands into one conversation all arrive, in order, the first few at once and the rest at the
platform's pace; a 429 is waited out (its Retry-After) and the same message sent again before anything after
it. Times are the fakes' own arrival stamps, compared with each other; the pace is shortened so a test takes
about a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
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
from tests.delivery.recording import until_idle
from tests.telegram.conftest import TOKEN

INTERVAL = 0.25  # seconds between messages once the burst is spent (the platforms: 1 s, 3.5 s in a group)
SLOW = 0.4  # where the burst must be seen to go out at once: well within this, even on a busy machine
CHAT, GROUP = 1111111, -1001234567890
TEN = [f"answer {n}" for n in range(10)]


def _replies(ref: ConversationRef, texts: list[str]) -> list[Reply]:
    return [Reply(ref=ref, key=f"k{n}", text=text) for n, text in enumerate(texts)]


def _via_slack(fake: FakeSlackApi, conn: redis.Redis, replies: list[Reply], *, burst: int = 4,
               interval: float = INTERVAL) -> float:  # fmt: skip
    """Deliver `replies`; returns when delivery began, on the fake's clock (time.monotonic)."""

    async def run() -> float:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.url)
        transport = SlackTransport(client, min_interval=interval, burst=burst)
        return await _deliver(transport, conn, replies, time.monotonic)

    return asyncio.run(run())


def _via_telegram(fake: FakeTelegramAPI, conn: redis.Redis, replies: list[Reply], *, rate: Rate) -> float:
    """Deliver `replies`; returns when delivery began, on the fake's clock (time.perf_counter)."""

    async def run() -> float:
        async with Bot(TOKEN, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot") as tg_bot:
            transport = TelegramTransport(tg_bot, chat=rate, group=rate)
            return await _deliver(transport, conn, replies, time.perf_counter)

    return asyncio.run(run())


async def _deliver(
    transport: SlackTransport | TelegramTransport, conn: redis.Redis, replies: list[Reply], clock: Callable[[], float]
) -> float:
    outbox = Outbox(conn)
    began = clock()  # no earlier than any bucket of the Deliverer starts
    deliverer = Deliverer(transport, outbox, conn, backoff_seconds=0.01)  # joins the stream: what follows is its
    for reply in replies:  # all published before delivery starts: as back to back as it gets
        outbox.publish(reply)
    task = asyncio.create_task(deliverer.run())
    try:
        await until_idle(deliverer)
    finally:
        await deliverer.stop()
        await task
    return began


def _burst_then_pace(arrivals: list[float], began: float, burst: int, interval: float) -> None:
    # The burst arrives at once: before the next token could exist, and nothing else does.
    assert len([at for at in arrivals if at - began < interval]) == burst
    # Then one per interval: message n (from 0) no sooner than (n - burst + 1) intervals after delivery began.
    for n in range(burst, len(arrivals)):
        assert arrivals[n] - began >= (n - burst + 1) * interval


# -- Slack ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("thread", [None, "1600000000.000100"], ids=["channel", "thread"])
def test_slack_ten_replies_in_one_channel_burst_then_go_at_its_pace(
    fake_slack: FakeSlackApi, redis_conn: redis.Redis, thread: str | None
) -> None:
    ref = ConversationRef(channel="slack", conversation_id="C0ROOM", thread_id=thread)

    began = _via_slack(fake_slack, redis_conn, _replies(ref, TEN), burst=4, interval=SLOW)

    assert [(m.channel, m.thread_ts, m.text) for m in fake_slack.messages] == [("C0ROOM", thread, t) for t in TEN]
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 10 and not fake_slack.throttled
    _burst_then_pace([call.at for call in posts], began, burst=4, interval=SLOW)


def test_slack_429_is_waited_out_and_the_same_message_sent_again_first(
    fake_slack: FakeSlackApi, redis_conn: redis.Redis
) -> None:
    ref = ConversationRef(channel="slack", conversation_id="C0ROOM")
    fake_slack.fail_next("chat.postMessage", 1, retry_after=0.2)

    _via_slack(fake_slack, redis_conn, _replies(ref, TEN[:5]))

    assert [m.text for m in fake_slack.messages] == TEN[:5]
    posts = fake_slack.calls_to("chat.postMessage")
    assert [c.body["text"] for c in posts] == [TEN[0], *TEN[:5]]  # refused, then the same again, then the rest
    [(refused, retry_after)] = fake_slack.throttled
    assert refused is posts[0] and retry_after == 0.2
    assert posts[1].at - posts[0].at >= 0.2
    # The 429 spent the burst: what follows goes at the pace (one per interval after it), not all at once.
    for n, call in enumerate(posts[1:], start=1):
        assert call.at - refused.at >= n * INTERVAL


def test_slack_overdone_channel_answers_429_and_every_message_still_arrives_in_order(
    fake_slack: FakeSlackApi, redis_conn: redis.Redis
) -> None:
    """The fake keeps a stricter limit than the transport thinks Slack has: as the real Slack does, it answers
    429 with Retry-After, and the Deliverer comes back no sooner than told."""
    fake_slack.limit_channels(per_second=1 / INTERVAL, burst=2)
    ref = ConversationRef(channel="slack", conversation_id="C0ROOM")

    _via_slack(fake_slack, redis_conn, _replies(ref, TEN[:6]), burst=6, interval=0.01)

    assert [m.text for m in fake_slack.messages] == TEN[:6]
    assert fake_slack.throttled
    posts = fake_slack.calls_to("chat.postMessage")
    for refused, retry_after in fake_slack.throttled:
        again = next(c for c in posts if c.at > refused.at and c.body["text"] == refused.body["text"])
        assert again.at - refused.at >= retry_after
        assert [c.body["text"] for c in posts if refused.at < c.at < again.at] == []  # nothing overtook it


# -- Telegram ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("chat", "topic"), [(CHAT, None), (GROUP, "77")], ids=["private", "topic"])
def test_telegram_ten_replies_in_one_chat_burst_then_go_at_its_pace(
    api: FakeTelegramAPI, redis_conn: redis.Redis, chat: int, topic: str | None
) -> None:
    ref = ConversationRef(channel="telegram", conversation_id=str(chat), thread_id=topic)

    began = _via_telegram(api, redis_conn, _replies(ref, TEN), rate=Rate(per_second=1 / SLOW, burst=3))

    assert [(m.text, m.thread_id) for m in api.messages(chat)] == [(t, int(topic) if topic else None) for t in TEN]
    sends = api.calls("sendMessage")
    assert len(sends) == 10 and not api.throttled()
    _burst_then_pace([call.at for call in sends], began, burst=3, interval=SLOW)


def test_telegram_429_is_waited_out_and_the_same_message_sent_again_first(
    api: FakeTelegramAPI, redis_conn: redis.Redis
) -> None:
    ref = ConversationRef(channel="telegram", conversation_id=str(CHAT))
    api.fail_next("sendMessage", 1, retry_after=1)  # Telegram's retry_after is whole seconds

    _via_telegram(api, redis_conn, _replies(ref, TEN[:4]), rate=Rate(per_second=1 / INTERVAL, burst=3))

    assert [m.text for m in api.messages(CHAT)] == TEN[:4]
    sends = api.calls("sendMessage")
    assert [c.params["text"] for c in sends] == [TEN[0], *TEN[:4]]
    assert sends[1].at - sends[0].at >= 1.0


def test_telegram_overdone_chat_answers_429_and_every_message_still_arrives_in_order(
    api: FakeTelegramAPI, redis_conn: redis.Redis
) -> None:
    api.limit_chats(per_second=1 / INTERVAL, burst=2)
    ref = ConversationRef(channel="telegram", conversation_id=str(CHAT))

    _via_telegram(api, redis_conn, _replies(ref, TEN[:6]), rate=Rate(per_second=100, burst=6))

    assert [m.text for m in api.messages(CHAT)] == TEN[:6]
    assert api.throttled()
    sends = api.calls("sendMessage")
    for refused, retry_after in api.throttled():
        again = next(c for c in sends if c.at > refused.at and c.params["text"] == refused.params["text"])
        assert again.at - refused.at >= retry_after
        assert [c.params["text"] for c in sends if refused.at < c.at < again.at] == []
