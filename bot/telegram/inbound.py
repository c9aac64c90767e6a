"""Telegram updates -> our Messages. Only translation: which updates are meant for opsbot and what they
say. Whether a group is answered at all is the adapter's call (it asks the policy)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import CallbackQuery, Update
from telegram import Message as TgMessage
from telegram.constants import ChatType

from bot.telegram import presses
from core.models import ConversationRef, Message

CHANNEL = "telegram"

# "/scale@OpsBot web-prod 20": Telegram command names are 1-32 of [A-Za-z0-9_], bot usernames 5-32.
_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)")
# Telegram sends /start when someone first opens the bot: answer with the help, not "start what?".
_ALIASES = {"start": "help"}
_CHATS = frozenset({ChatType.PRIVATE, ChatType.GROUP, ChatType.SUPERGROUP})


@dataclass(frozen=True)
class BotIdentity:
    """Who opsbot is on Telegram (from getMe): to recognise mentions of it and replies to it."""

    id: int
    username: str


@dataclass(frozen=True)
class VoiceFile:
    """A voice note or audio file to download (getFile) and recognise."""

    file_id: str
    size: int | None  # bytes, as Telegram reports it (it may not)


@dataclass(frozen=True)
class Inbound:
    message: Message
    group: bool  # from a group or supergroup: answered only where the policy allows
    voice: VoiceFile | None = None  # a voice note or audio file: the text comes from the recogniser


def from_update(update: Update, me: BotIdentity, now: float) -> Inbound | None:
    """The Message an update carries for opsbot, or None when opsbot should stay silent. Edited
    messages, channel posts and every other update kind are separate Update fields: never read here."""
    if update.callback_query is not None:
        return _press(update.callback_query, now)
    if update.message is not None:
        return _message(update.message, me, now)
    return None


def _message(msg: TgMessage, me: BotIdentity, now: float) -> Inbound | None:
    sender = msg.from_user
    # Bots (ourselves included) never drive opsbot: no loops. Anonymous group admins post as a bot too.
    if sender is None or sender.is_bot or msg.chat.type not in _CHATS:
        return None
    # A forwarded message is someone else's words, not a command from the person forwarding it.
    if msg.forward_origin is not None or msg.via_bot is not None:
        return None
    private = msg.chat.type == ChatType.PRIVATE
    base = Message(ref=_ref(msg), sender=str(sender.id), message_id=str(msg.message_id), received_at=now)
    media = msg.voice or msg.audio
    if media is not None:
        if private or _replies_to_bot(msg, me):
            return Inbound(base, group=not private, voice=VoiceFile(file_id=media.file_id, size=media.file_size))
        return None
    if msg.text is None:  # photos, stickers, service messages (joins, pins, topic changes)
        return None
    text = _addressed_text(msg, me, private)
    if text is None:
        return None
    return Inbound(base.model_copy(update={"text": text}), group=not private)


def _addressed_text(msg: TgMessage, me: BotIdentity, private: bool) -> str | None:
    """The command text when the message is for opsbot: in a group only commands, mentions of the bot and
    replies to its messages; in a private chat everything."""
    text = msg.text or ""
    command = _COMMAND.match(text)
    if command is not None:
        name, addressee = command.group(1).lower(), command.group(2)
        if addressee is not None and addressee.lower() != me.username.lower():
            return None  # "/status@OtherBot" is for another bot in the group
        rest = text[command.end() :].strip()
        return f"{_ALIASES.get(name, name.replace('_', ' '))} {rest}".strip()  # /deploy_status: deploy status
    # Bots always have a username, so a mention of opsbot is always this literal text.
    mention = re.compile(rf"(?<![\w@])@{re.escape(me.username)}(?!\w)", re.IGNORECASE)
    stripped = mention.sub(" ", text)
    if private or stripped != text or _replies_to_bot(msg, me):
        return " ".join(stripped.split())
    return None


def _replies_to_bot(msg: TgMessage, me: BotIdentity) -> bool:
    parent = msg.reply_to_message
    return parent is not None and parent.from_user is not None and parent.from_user.id == me.id


def _press(query: CallbackQuery, now: float) -> Inbound | None:
    # A press on a message sent in inline mode has no chat (and is not one of ours).
    if query.data is None or query.from_user.is_bot or query.message is None:
        return None
    chat = query.message.chat
    thread = _thread(query.message) if isinstance(query.message, TgMessage) else None
    if presses.is_quiet(query.data):  # answered by a toast, or as a reply to the card
        thread = presses.thread_of_press(thread, query.id, str(query.message.message_id))
    ref = ConversationRef(channel=CHANNEL, conversation_id=str(chat.id), thread_id=thread)
    message = Message(
        ref=ref,
        sender=str(query.from_user.id),
        button_id=query.data,
        message_id=str(query.message.message_id),
        received_at=now,
    )
    return Inbound(message, group=chat.type != ChatType.PRIVATE)


def _ref(msg: TgMessage) -> ConversationRef:
    return ConversationRef(channel=CHANNEL, conversation_id=str(msg.chat.id), thread_id=_thread(msg))


def _thread(msg: TgMessage) -> str | None:
    """Forum topics are threads; a plain reply chain in a supergroup also carries message_thread_id, but
    replying into it would not be what the user sees as "the same place"."""
    if msg.is_topic_message and msg.message_thread_id is not None:
        return str(msg.message_thread_id)
    return None
