"""A reply with a chart is delivered as its text and then its picture, in the same conversation: through the real
Slack client to the fake Web API (the file in the text's thread), the real python-telegram-bot to the fake Bot API
(a photo replying to the text), and the console (a PNG in the data directory, named on a line). A picture the
platform refuses is logged with the platform's error and the text stays delivered, once; an edit has no picture."""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import redis
from PIL import Image
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot
from telegram.error import BadRequest

import bot.telegram  # noqa: F401 - sets PTB_TIMEDELTA before any 429 is parsed
from bot.channels import Rate, Transport
from bot.delivery import Deliverer
from bot.slack.transport import SlackTransport
from bot.telegram.transport import TelegramTransport
from core.models import Chart, ChartSeries, ConversationRef, Reply
from core.outbox import Outbox
from fakes.slack_api import FakeSlackApi
from fakes.telegram_api import PHOTO_MAX_BYTES, FakeTelegramAPI
from tests.delivery.recording import CHANNEL as RECORDED
from tests.delivery.recording import RecordingTransport, deliver
from tests.slack.conftest import fake_slack  # noqa: F401 - a fixture
from tests.telegram.conftest import TOKEN, api  # noqa: F401 - a fixture

CHANNEL = "C0CHARTS1"
CHAT = 424242
END = 1_765_000_000.0
TITLE = "web-prod CPU, last 6 h"
T = TypeVar("T")
CPU = Chart(
    title=TITLE,
    unit="%",
    series=(
        ChartSeries(
            label="web-prod avg", points=tuple((END - 60 * k, 50 + 10 * math.sin(k / 9)) for k in range(360, -1, -1))
        ),
    ),
    threshold=80.0,
    filename="web-prod-cpu.png",
)


def answer(channel: str, conversation: str, key: str = "k1", thread: str | None = None) -> Reply:
    ref = ConversationRef(channel=channel, conversation_id=conversation, thread_id=thread)
    return Reply(ref=ref, key=key, text="web-prod CPU 52% now, steady over 6 h", kind="result", chart=CPU)


def picture(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image


@pytest.fixture
def slack_api(fake_slack: FakeSlackApi) -> FakeSlackApi:  # noqa: F811 - the Slack tests' fake Web API
    return fake_slack


@pytest.fixture
def bot_api(api: FakeTelegramAPI) -> FakeTelegramAPI:  # noqa: F811 - the Telegram tests' fake Bot API
    return api


def run(transport: Transport, conn: redis.Redis, *replies: Reply) -> Outbox:
    """Publish `replies` and run a Deliverer on `transport` until all are delivered."""
    return asyncio.run(_delivered(transport, conn, *replies))


async def _delivered(transport: Transport, conn: redis.Redis, *replies: Reply) -> Outbox:
    outbox = Outbox(conn)
    deliverer = Deliverer(transport, outbox, conn, backoff_seconds=0.01)  # joins the streams: what follows is its
    for reply in replies:
        outbox.publish(reply)
    await deliver(deliverer)
    return outbox


def via_slack(fake: FakeSlackApi, conn: redis.Redis, *replies: Reply) -> Outbox:
    async def go() -> Outbox:
        client = AsyncWebClient(token="xoxb-test", base_url=fake.url)
        return await _delivered(SlackTransport(client, min_interval=0.05), conn, *replies)

    return asyncio.run(go())


def via_telegram(fake: FakeTelegramAPI, conn: redis.Redis, *replies: Reply) -> Outbox:
    return asyncio.run(_with_bot(fake, lambda tg_bot: _delivered(TelegramTransport(tg_bot), conn, *replies)))


async def _with_bot(fake: FakeTelegramAPI, body: Callable[[Bot], Awaitable[T]]) -> T:
    async with Bot(TOKEN, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot") as tg_bot:
        return await body(tg_bot)


# -- Slack ---------------------------------------------------------------------------------------------------
def test_slack_posts_the_text_then_the_chart_in_its_thread(slack_api: FakeSlackApi, redis_conn: redis.Redis) -> None:
    via_slack(slack_api, redis_conn, answer("slack", CHANNEL))
    [text] = slack_api.messages
    assert text.text.startswith("web-prod CPU 52% now")
    [shared] = slack_api.shared
    assert (shared.channel, shared.thread_ts, shared.title) == (CHANNEL, text.ts, TITLE)  # a thread under the text
    assert picture(shared.content).size == (900, 560)
    methods = [c.method for c in slack_api.calls]
    assert methods.index("chat.postMessage") < methods.index("files.getUploadURLExternal")  # text first


def test_slack_chart_of_a_reply_in_a_thread_goes_to_that_thread(
    slack_api: FakeSlackApi, redis_conn: redis.Redis
) -> None:
    via_slack(slack_api, redis_conn, answer("slack", CHANNEL, thread="1700000000.000001"))
    [text] = slack_api.messages
    [shared] = slack_api.shared
    assert text.thread_ts == shared.thread_ts == "1700000000.000001"


def test_slack_refused_upload_keeps_the_text_once_and_logs_why(
    slack_api: FakeSlackApi, redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    slack_api.fail_next("files.completeUploadExternal", 1, status=200, error="restricted_action", retry_after=None)
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        outbox = via_slack(slack_api, redis_conn, answer("slack", CHANNEL), answer("slack", CHANNEL, "k2"))
    assert [m.text[:12] for m in slack_api.messages] == ["web-prod CPU"] * 2  # each text once, in order
    assert len(slack_api.calls_to("chat.postMessage")) == 2
    assert len(slack_api.shared) == 1  # the second reply's chart went out; the refused one was not tried again
    assert len(slack_api.calls_to("files.completeUploadExternal")) == 2
    assert "restricted_action" in caplog.text and "chart of reply k1" in caplog.text
    assert outbox.dead("slack") == []  # the reply was delivered: nothing to send again


def test_slack_throttled_upload_is_waited_out_and_sent_once(slack_api: FakeSlackApi, redis_conn: redis.Redis) -> None:
    slack_api.fail_next("files.getUploadURLExternal", 1, retry_after=0.1)
    via_slack(slack_api, redis_conn, answer("slack", CHANNEL))
    assert len(slack_api.messages) == 1 and len(slack_api.shared) == 1
    assert len(slack_api.throttled) == 1


# -- Telegram ------------------------------------------------------------------------------------------------
def test_telegram_sends_the_text_then_a_photo_replying_to_it(bot_api: FakeTelegramAPI, redis_conn: redis.Redis) -> None:
    via_telegram(bot_api, redis_conn, answer("telegram", str(CHAT)))
    text, photo = bot_api.messages(CHAT)
    assert text.photo is None and text.text.startswith("web-prod CPU 52% now")
    assert photo.photo is not None and picture(photo.photo).size == (900, 560)
    assert (photo.text, photo.reply_to) == (TITLE, text.message_id)  # captioned, replying to the text
    assert [c.method for c in bot_api.calls() if c.method.startswith("send")] == ["sendMessage", "sendPhoto"]


def test_telegram_refused_photo_keeps_the_text_once_and_logs_why(
    bot_api: FakeTelegramAPI, redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    bot_api.fail_next(
        "sendPhoto", 1, status=400, description="Bad Request: not enough rights to send photos to the chat"
    )
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        outbox = via_telegram(bot_api, redis_conn, answer("telegram", str(CHAT)))
    [text] = bot_api.messages(CHAT)
    assert text.photo is None and len(bot_api.calls("sendMessage")) == 1 and len(bot_api.calls("sendPhoto")) == 1
    assert "not enough rights to send photos" in caplog.text.lower()
    assert outbox.dead("telegram") == []


def test_the_fake_bot_api_checks_photos_as_telegram_does(bot_api: FakeTelegramAPI) -> None:
    async def too_big(tg_bot: Bot) -> None:
        with pytest.raises(BadRequest, match=r"(?i)file is too big"):
            await tg_bot.send_photo(CHAT, photo=b"\x89PNG\r\n\x1a\n" + bytes(PHOTO_MAX_BYTES))

    asyncio.run(_with_bot(bot_api, too_big))
    no_photo = httpx.post(
        f"{bot_api.url}/bot{TOKEN}/sendPhoto", files={"caption": (None, b"hi")}, data={"chat_id": CHAT}
    )
    assert no_photo.status_code == 400 and "no photo" in no_photo.json()["description"]
    assert bot_api.photos(CHAT) == []


# -- edits, and a reply handed out again -----------------------------------------------------------------------
def test_an_edit_never_carries_a_picture(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport()
    first = answer(RECORDED, "c1")
    edited = Reply(ref=first.ref, key="k1-edit", text="web-prod CPU 60% now", edit_of="k1", chart=CPU)
    run(transport, redis_conn, first, edited)
    assert [(s.op, s.reply.key, s.message_id) for s in transport.sent] == [
        ("post", "k1", "m1"),
        ("picture", "k1", "m1"),
        ("edit", "k1-edit", "m1"),
    ]
    assert len(transport.pictures) == 1 and picture(transport.pictures[0]).size == (900, 560)


def test_a_reply_handed_out_again_posts_neither_its_text_nor_its_picture_twice(redis_conn: redis.Redis) -> None:
    transport = RecordingTransport()
    run(transport, redis_conn, answer(RECORDED, "c1"))
    run(transport, redis_conn, answer(RECORDED, "c1"))  # published again (a step run twice): already out
    assert [s.op for s in transport.sent] == ["post", "picture"]


def test_a_chart_that_cannot_be_drawn_leaves_the_text_delivered_once(
    redis_conn: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    transport = RecordingTransport()
    wild = ChartSeries(label="garbage", points=((END - 60, 1e308), (END, -1e308)))  # a range beyond any float
    broken = answer(RECORDED, "c1").model_copy(update={"chart": CPU.model_copy(update={"series": (wild,)})})
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        outbox = run(transport, redis_conn, broken)
    assert [s.op for s in transport.sent] == ["post"]
    assert "the chart of reply k1 did not render" in caplog.text
    assert outbox.dead(RECORDED) == []


def test_a_picture_takes_its_turn_in_the_conversations_pace(redis_conn: redis.Redis) -> None:
    """One message at a time, two a second: the picture waits its turn like a message, and so does what follows."""
    transport = RecordingTransport(pace=Rate(per_second=2.0, burst=1))
    run(transport, redis_conn, answer(RECORDED, "c1"), Reply(ref=answer(RECORDED, "c1").ref, key="k2", text="next"))
    assert [(s.op, s.reply.key) for s in transport.sent] == [("post", "k1"), ("picture", "k1"), ("post", "k2")]
    times = [s.at for s in transport.sent]
    assert all(later - earlier >= 0.45 for earlier, later in itertools.pairwise(times)), times


# -- the console ---------------------------------------------------------------------------------------------
def test_the_console_saves_the_chart_and_names_the_file(settings: object, tmp_path: Path) -> None:
    from bot.console import ConsoleChannel
    from bot.runtime import Runtime
    from core.settings import Settings

    assert isinstance(settings, Settings)
    runtime = Runtime.build(settings.model_copy(update={"sim_resources": 100}), with_worker=False)
    try:
        out = io.StringIO()
        console = ConsoleChannel(runtime, user="alice", out=out)
        runtime.outbox.publish(answer("console", "shell", key="reply:7/a"))
        console.run([])
    finally:
        runtime.close()
    path = settings.data_dir / "charts" / "reply_7_a.png"
    assert picture(path.read_bytes()).size == (900, 560)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("opsbot #1 web-prod CPU 52% now")
    assert [line.strip() for line in lines[1:]] == [f"Chart: {path}"]
