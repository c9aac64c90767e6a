"""Updates as Telegram sends them, built from Telegram's own examples (tests/samples, with
their source in its README). Those examples predate fields real updates always carry - `is_bot` in `from`,
`file_unique_id` in voice and audio (Bot API 4.5) - which python-telegram-bot requires: added here."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from fakes.telegram_api import BOT_USER, SentMessage
from tests.payloads import sample_json

ALICE, BOB, CAROL, DAVE = 1111111, 2222222, 3333333, 4444444  # 1111111 is the user of Telegram's examples
STRANGER = 9999999
KNOWN_GROUP = -1001234567890  # named in the test policy's conversations
INCIDENT_GROUP = -1002222222222  # listed in OPSBOT_INCIDENT_CHANNELS only
UNKNOWN_GROUP = -1003333333333

Update = dict[str, Any]
_message_ids = itertools.count(5000)
_query_ids = itertools.count(1)


def sample(name: str) -> Update:
    data: Update = sample_json(name)
    return data


def _user(template: dict[str, Any], user: int, *, is_bot: bool = False) -> dict[str, Any]:
    found = {k: v for k, v in template.items() if k != "type"}  # the callback example's stray "type"
    return {**found, "id": user, "is_bot": is_bot, "first_name": f"user{user}", "username": f"user{user}"}


def _chat(template: dict[str, Any], user: int, chat: int | None) -> dict[str, Any]:
    if chat is None:  # a private chat's id is the user's
        return {**template, "id": user, "type": "private"}
    return {"id": chat, "type": "supergroup", "title": "ops on call", "is_forum": True}


def _message(sample_name: str, user: int, chat: int | None, thread: int | None, is_bot: bool) -> Update:
    update = sample(sample_name)
    message = update["message"]
    message["from"] = _user(message["from"], user, is_bot=is_bot)
    message["chat"] = _chat(message["chat"], user, chat)
    message["message_id"] = next(_message_ids)
    for media in ("voice", "audio"):
        if media in message:
            message[media]["file_unique_id"] = "AgADbXXXXXXXXXX"
    if thread is not None:
        message |= {"message_thread_id": thread, "is_topic_message": True}
    return update


def text(
    words: str, *, user: int = ALICE, chat: int | None = None, thread: int | None = None, is_bot: bool = False,
    reply_to: SentMessage | None = None,
) -> Update:  # fmt: skip
    """Telegram's text-message example saying `words`; a leading /command gets its bot_command entity."""
    update = _message("telegram_update_text_message_docs.json", user, chat, thread, is_bot)
    message = update["message"]
    message["text"] = words
    if words.startswith("/"):
        length = len(words.split()[0].encode("utf-16-le")) // 2
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    if reply_to is not None:
        message["reply_to_message"] = bot_message(reply_to)
    return update


def voice(*, user: int = ALICE, chat: int | None = None, reply_to: SentMessage | None = None) -> Update:
    update = _message("telegram_update_voice_message_docs.json", user, chat, None, False)
    if reply_to is not None:
        update["message"]["reply_to_message"] = bot_message(reply_to)
    return update


def audio(*, user: int = ALICE) -> Update:
    return _message("telegram_update_audio_message_docs.json", user, None, None, False)


def edited(words: str, *, user: int = ALICE) -> Update:
    """The same text example, arriving as an edit of an earlier message."""
    update = text(words, user=user)
    message = update.pop("message")
    message["edit_date"] = message["date"] + 60
    return {**update, "edited_message": message}


def press(message: SentMessage, label_or_id: str, *, user: int = ALICE) -> Update:
    """Telegram's callback-query example, pressing a button of a message the bot sent into a chat."""
    update = sample("telegram_update_callback_query_docs.json")
    query = update["callback_query"]
    buttons = message.button_ids()
    data = next((b for b in buttons if b == label_or_id or b.startswith(label_or_id)), label_or_id)
    query.pop("inline_message_id")  # the example pressed an inline-mode message; ours are in a chat
    query |= {
        "id": f"{next(_query_ids):016d}",
        "from": _user(query["from"], user),
        "data": data,
        "chat_instance": "-8012345678901234567",
        "message": bot_message(message),
    }
    return update


def bot_message(message: SentMessage) -> dict[str, Any]:
    """A message the bot sent, as Telegram embeds it in callback queries and replies."""
    wire: dict[str, Any] = {
        "message_id": message.message_id,
        "from": copy.deepcopy(BOT_USER),
        "chat": {"id": message.chat_id, "type": "private" if message.chat_id > 0 else "supergroup"},
        "date": 1700000000,
        "text": message.text,
    }
    if message.reply_markup:
        wire["reply_markup"] = message.reply_markup
    if message.thread_id is not None:
        wire |= {"message_thread_id": message.thread_id, "is_topic_message": True}
    return wire
