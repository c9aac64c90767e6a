"""Which updates carry a command for opsbot, and the text it reads from them, straight from Telegram's
examples (without the network)."""

from __future__ import annotations

from telegram import Update

from bot.telegram.inbound import BotIdentity, from_update
from tests.telegram import updates
from tests.telegram.updates import ALICE, KNOWN_GROUP

ME = BotIdentity(id=7000000001, username="OpsTestBot")


def _read(update: updates.Update) -> tuple[str, str | None, bool] | None:
    """(text, thread, group) of what opsbot would handle, or None."""
    found = from_update(Update.de_json({**update, "update_id": 1}, None), ME, 0.0)
    if found is None:
        return None
    return found.message.text, found.message.ref.thread_id, found.group


def test_commands_lose_their_slash_and_bot_name() -> None:
    assert _read(updates.text("/scale web-prod 20")) == ("scale web-prod 20", None, False)
    assert _read(updates.text("/scale@opstestbot   web-prod 20", chat=KNOWN_GROUP)) == ("scale web-prod 20", None, True)
    assert _read(updates.text("/status@OtherBot", chat=KNOWN_GROUP)) is None


def test_a_mention_is_removed_wherever_it_stands() -> None:
    assert _read(updates.text("@OpsTestBot status of prod", chat=KNOWN_GROUP)) == ("status of prod", None, True)
    assert _read(updates.text("status of prod, @opstestbot?", chat=KNOWN_GROUP)) == ("status of prod, ?", None, True)
    assert _read(updates.text("mail me at ops@OpsTestBot.example", chat=KNOWN_GROUP)) is None


def test_the_docs_message_with_formatting_reads_as_its_plain_text() -> None:
    update = updates.sample("telegram_update_message_with_entities_docs.json")
    update["message"]["from"]["is_bot"] = False
    assert _read(update) == ("Bold and italics", None, False)


def test_a_forum_topic_is_the_thread_and_the_sender_is_the_user_id() -> None:
    found = from_update(Update.de_json({**updates.text("/status", chat=KNOWN_GROUP, thread=77), "update_id": 1}, None),
                        ME, 0.0)  # fmt: skip
    assert found is not None
    assert found.message.ref.thread_id == "77" and found.message.ref.conversation_id == str(KNOWN_GROUP)
    assert found.message.sender == str(ALICE)


def test_a_press_on_an_inline_mode_message_has_no_conversation() -> None:
    update = updates.sample("telegram_update_callback_query_docs.json")  # inline_message_id, no message
    update["callback_query"]["from"]["is_bot"] = False  # fields the docs example leaves out, real ones carry
    update["callback_query"]["chat_instance"] = "-8012345678901234567"
    assert _read(update) is None
