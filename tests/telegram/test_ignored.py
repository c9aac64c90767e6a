"""What opsbot must not answer on Telegram: bots (itself included), edits, channel posts, forwards, groups
the policy does not name, and group chatter that is not addressed to it.

Each test ends with a sentinel from alice in her private chat and waits for its answer. Updates are handled
in the order they arrive and an ignored one is dropped without waiting on anything, so once the sentinel is
answered every earlier update has been dealt with: "nothing was sent" is then a fact, not a timing guess."""

from __future__ import annotations

import logging

import pytest

from fakes.telegram_api import BOT_USER, SentMessage
from tests.telegram import updates
from tests.telegram.conftest import TelegramStack
from tests.telegram.updates import ALICE, INCIDENT_GROUP, KNOWN_GROUP, UNKNOWN_GROUP


def _sentinel(stack: TelegramStack) -> None:
    stack.say("help scale")
    stack.settled()


def test_messages_from_bots_and_from_itself_are_ignored(telegram: TelegramStack) -> None:
    telegram.send(updates.text("/status@OpsTestBot", chat=KNOWN_GROUP, user=5555555, is_bot=True))
    own = updates.text("/status", chat=KNOWN_GROUP, user=int(str(BOT_USER["id"])), is_bot=True)
    telegram.send(own)
    _sentinel(telegram)
    assert telegram.api.messages(KNOWN_GROUP) == []


def test_edited_messages_channel_posts_and_forwards_are_ignored(telegram: TelegramStack) -> None:
    telegram.send(updates.edited("scale web-prod to 20"))
    post = updates.text("/status", chat=-1004444444444)
    post["channel_post"] = post.pop("message") | {"chat": {"id": -1004444444444, "type": "channel", "title": "news"}}
    telegram.send(post)
    forwarded = updates.text("scale web-prod to 20")
    forwarded["message"]["forward_origin"] = {"type": "hidden_user", "sender_user_name": "someone", "date": 1700000000}
    telegram.send(forwarded)
    _sentinel(telegram)
    assert [m.text.split(":")[0] for m in telegram.api.messages(ALICE)] == ["scale"]  # the sentinel's answer only
    assert telegram.api.messages(-1004444444444) == []


def test_a_group_the_policy_does_not_name_is_ignored_and_logged_once(
    telegram: TelegramStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.telegram.adapter")
    telegram.send(updates.text("/status", chat=UNKNOWN_GROUP))
    telegram.send(updates.text("/scale@OpsTestBot web-prod 20", chat=UNKNOWN_GROUP))
    _sentinel(telegram)
    assert telegram.api.messages(UNKNOWN_GROUP) == []
    assert caplog.text.count(f"ignoring group {UNKNOWN_GROUP}") == 1


def test_in_a_group_only_commands_mentions_and_replies_to_the_bot_are_answered(telegram: TelegramStack) -> None:
    telegram.send(updates.text("status of prod", chat=KNOWN_GROUP))  # chatter between people
    telegram.send(updates.text("/status@SomeOtherBot", chat=KNOWN_GROUP))  # another bot's command
    telegram.send(updates.voice(chat=KNOWN_GROUP))  # a voice note for the people in the group
    telegram.send(updates.text("@OpsTestBot status of prod", chat=KNOWN_GROUP))
    # An incident group (listed in OPSBOT_INCIDENT_CHANNELS) where the bot posted a broadcast earlier.
    earlier = SentMessage(chat_id=INCIDENT_GROUP, message_id=1, text="DR status ...", reply_markup=None, thread_id=None)
    telegram.send(updates.text("status of dr", chat=INCIDENT_GROUP, reply_to=earlier))
    _sentinel(telegram)
    [mentioned] = telegram.api.messages(KNOWN_GROUP)
    assert mentioned.text.startswith("prod:")
    [replied] = telegram.api.messages(INCIDENT_GROUP)
    assert replied.text.startswith("dr:")
