"""TelegramTransport with python-telegram-bot's real Bot against the fake Bot API: what each Reply becomes
on the wire, and how Telegram's refusals reach the Deliverer."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from telegram import Bot

import bot.telegram  # noqa: F401 - sets PTB_TIMEDELTA before any 429 is parsed
from bot.channels import DeliveryFailed, Rate, RetryAfter
from bot.telegram.transport import TelegramTransport
from core.models import Button, ConversationRef, Reply
from fakes.telegram_api import FakeTelegramAPI
from tests.telegram.conftest import TOKEN
from tests.telegram.updates import ALICE, KNOWN_GROUP

PRIVATE = ConversationRef(channel="telegram", conversation_id=str(ALICE))
TOPIC = ConversationRef(channel="telegram", conversation_id=str(KNOWN_GROUP), thread_id="77")
ASK = Reply(
    ref=PRIVATE, key="k1", text="Scale: web-prod 12 -> 20", kind="confirm",
    buttons=(Button(id="confirm:K7Q2M9", label="Confirm", style="primary"), Button(id="cancel:K7Q2M9", label="Cancel")),
)  # fmt: skip


def _with_transport(api: FakeTelegramAPI, work: Callable[[TelegramTransport], Awaitable[None]]) -> None:
    async def run() -> None:
        async with Bot(TOKEN, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot") as tg_bot:
            await work(TelegramTransport(tg_bot))

    asyncio.run(run())


def test_a_reply_becomes_a_message_with_an_inline_keyboard_then_an_edit_removes_it(api: FakeTelegramAPI) -> None:
    async def work(transport: TelegramTransport) -> None:
        message_id = await transport.post(ASK)
        await transport.edit(Reply(ref=PRIVATE, key="k2", text="Confirmed by alice", edit_of="k1"), message_id)

    _with_transport(api, work)
    [message] = api.messages(ALICE)
    assert message.history == ["Scale: web-prod 12 -> 20", "Confirmed by alice"]
    assert message.reply_markup is None
    [sent] = api.calls("sendMessage")
    assert sent.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Confirm", "callback_data": "confirm:K7Q2M9"},
                             {"text": "Cancel", "callback_data": "cancel:K7Q2M9"}]]
    }  # fmt: skip
    assert "parse_mode" not in sent.params


def test_a_forum_topic_reply_goes_into_its_topic(api: FakeTelegramAPI) -> None:
    async def work(transport: TelegramTransport) -> None:
        await transport.post(Reply(ref=TOPIC, key="t1", text="prod: 3 problems"))

    _with_transport(api, work)
    [message] = api.messages(KNOWN_GROUP)
    assert message.thread_id == 77


def test_an_edit_that_changes_nothing_is_a_success(api: FakeTelegramAPI) -> None:
    async def work(transport: TelegramTransport) -> None:
        message_id = await transport.post(Reply(ref=PRIVATE, key="p1", text="web-prod: 16/20 running"))
        await transport.edit(Reply(ref=PRIVATE, key="p2", text="web-prod: 16/20 running", edit_of="p1"), message_id)

    _with_transport(api, work)
    assert len(api.calls("editMessageText")) == 1  # Telegram said "not modified"; nothing raised


def test_429_becomes_retry_after_with_telegrams_delay(api: FakeTelegramAPI) -> None:
    api.fail_next("sendMessage", 1, retry_after=7)

    async def work(transport: TelegramTransport) -> None:
        with pytest.raises(RetryAfter) as throttled:
            await transport.post(ASK)
        assert throttled.value.retry_after == 7

    _with_transport(api, work)


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (403, "Forbidden: bot was blocked by the user"),
        (400, "Bad Request: chat not found"),
        (401, "Unauthorized"),
    ],
)
def test_refusals_that_retrying_cannot_fix_are_delivery_failed(
    api: FakeTelegramAPI, status: int, description: str
) -> None:
    api.fail_next("sendMessage", 1, status=status, description=description)

    async def work(transport: TelegramTransport) -> None:
        with pytest.raises(DeliveryFailed):
            await transport.post(ASK)

    _with_transport(api, work)


def test_editing_a_message_that_is_gone_is_delivery_failed(api: FakeTelegramAPI) -> None:
    async def work(transport: TelegramTransport) -> None:
        with pytest.raises(DeliveryFailed, match=r"(?i)message to edit not found"):
            await transport.edit(Reply(ref=PRIVATE, key="e1", text="Done", edit_of="k1"), "424242")

    _with_transport(api, work)


def test_pacing_follows_telegrams_limits(api: FakeTelegramAPI) -> None:
    # How the Deliverer keeps to these numbers, with this transport: tests/delivery/test_platform_pace.py.
    async def work(transport: TelegramTransport) -> None:
        assert transport.overall_rate() == Rate(per_second=30, burst=3)
        assert transport.conversation_rate(PRIVATE) == Rate(per_second=1, burst=3)  # about one a second per chat
        group = transport.conversation_rate(TOPIC)
        assert group is not None and group.burst + 60 * group.per_second == pytest.approx(20)  # 20 a minute

    _with_transport(api, work)


def test_a_voice_note_can_be_fetched_as_the_voice_release_will(api: FakeTelegramAPI) -> None:
    """getFile, then the download under /file/bot<token>/ (the token percent-encoded by the library)."""
    api.add_file("AwADBAADbXXXXXXXXXXXGBdhD2l6_XX", b"OggS-opus-bytes", path="voice/file_7.oga")
    got: list[bytes] = []

    async def run() -> None:
        async with Bot(TOKEN, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot") as tg_bot:
            voice = await tg_bot.get_file("AwADBAADbXXXXXXXXXXXGBdhD2l6_XX")
            got.append(bytes(await voice.download_as_bytearray()))

    asyncio.run(run())
    assert got == [b"OggS-opus-bytes"]
