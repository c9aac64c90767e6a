"""Slack payloads -> our `Message`s, and which events opsbot must not answer. Pure functions: no I/O."""

from __future__ import annotations

import hashlib
import hmac
import html
import re
import time
from collections import OrderedDict
from urllib.parse import parse_qsl

from bot.http import Unreadable, json_object
from bot.slack import presses, render
from bot.slack.payloads import BlockActions, MessageEvent, SlashCommand
from core.models import ConversationRef, Message

CHANNEL = "slack"

# A user's own message, a reply in a thread that is also sent to the channel, or one with files attached:
# the subtypes that are someone talking. Edits, deletions, joins, topic changes... are not.
SPOKEN_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})

MAX_SKEW_SECONDS = 300  # Slack's window: an older signed request is a replay

# <@U123>, <@U123|name>, <#C123|name>, <!here>, <https://x|label>, <mailto:a@b|a@b>
_MARKUP = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")


def plain_text(text: str, bot_user_id: str | None) -> str:
    """What the user typed, as the parser should read it: the bot's own mention removed, Slack's link
    and mention markup turned back into words, and its &amp; &lt; &gt; escapes undone."""

    def _unmark(match: re.Match[str]) -> str:
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil == "@":
            return "" if bot_user_id is not None and target == bot_user_id else f"@{label or target}"
        if sigil == "#":
            return f"#{label or target}"
        if sigil == "!":  # <!here>, <!subteam^S1|@team>, <!date^...|fallback>
            return label or f"@{target.split('^', 1)[0]}"
        return label or target.removeprefix("mailto:")

    return " ".join(html.unescape(_MARKUP.sub(_unmark, text)).split())


def is_from_a_bot(event: MessageEvent, bot_user_id: str | None) -> bool:
    """Our own messages and any other app's: answering them could loop forever."""
    if event.bot_id is not None or event.subtype == "bot_message":
        return True
    return bot_user_id is not None and event.user == bot_user_id


def is_spoken(event: MessageEvent) -> bool:
    """A person said something new (not an edit, deletion or channel notice)."""
    return event.subtype in SPOKEN_SUBTYPES and not event.hidden and bool(event.user)


def mention_ref(event: MessageEvent) -> ConversationRef:
    """A mention in a channel is answered in its thread (a new one, under the mention, if it had none)."""
    return ConversationRef(channel=CHANNEL, conversation_id=event.channel, thread_id=event.thread_ts or event.ts)


def direct_ref(event: MessageEvent) -> ConversationRef:
    return ConversationRef(channel=CHANNEL, conversation_id=event.channel)


def from_event(event: MessageEvent, ref: ConversationRef, bot_user_id: str | None) -> Message:
    return Message(
        ref=ref,
        sender=event.user or "",
        text=plain_text(event.text, bot_user_id),
        message_id=event.ts,
        received_at=time.time(),
    )


def from_clip(event: MessageEvent, ref: ConversationRef) -> Message:
    """A voice clip: the Message a text would have made, with no text (the recogniser supplies it)."""
    return Message(ref=ref, sender=event.user or "", text="", message_id=event.ts, received_at=time.time())


def from_command(command: SlashCommand) -> Message:
    """`/ops status prod` -> "status prod", answered at the top level of the channel it was typed in."""
    return Message(
        ref=ConversationRef(channel=CHANNEL, conversation_id=command.channel_id),
        sender=command.user_id,
        text=plain_text(command.text, None),
        received_at=time.time(),
    )


def from_press(payload: BlockActions) -> Message | None:
    """A button press carries our button id back (as action_id and value). None if it is not one of ours."""
    if not payload.actions:
        return None
    action = payload.actions[0]
    if render.is_link_press(action.action_id):  # a link opened: nothing for the conversation to answer
        return None
    if payload.channel_id is None:
        return _from_view_press(payload) if payload.container.type == "view" else None
    channel_id = payload.channel_id
    button_id = action.value or action.action_id
    label = action.text.text if action.text is not None else button_id
    thread = payload.thread_ts
    card = thread or payload.container.message_ts
    if card and presses.is_quiet(button_id):  # answered in the card's thread, or only to the presser
        thread = presses.thread_of_press(card, payload.user.id)
    return Message(
        ref=ConversationRef(channel=CHANNEL, conversation_id=channel_id, thread_id=thread),
        sender=payload.user.id,
        text=label,
        button_id=button_id,
        message_id=payload.container.message_ts,
        received_at=time.time(),
    )


def _from_view_press(payload: BlockActions) -> Message | None:
    """A press on the Home tab or the Emergency modal, answered in the presser's direct message: an Ack carries the
    alert card's own id; an emergency button its command, handled as if typed there (policy, preview, confirmation)."""
    action = payload.actions[0]
    user = payload.user.id
    dm = ConversationRef(channel=CHANNEL, conversation_id=user)
    if action.action_id.startswith(render.SAY_PREFIX):
        if not action.value:
            return None
        return Message(ref=dm, sender=user, text=action.value, received_at=time.time())
    button_id = action.value or action.action_id
    label = action.text.text if action.text is not None else button_id
    return Message(ref=dm, sender=user, text=label, button_id=button_id, received_at=time.time())


def signed_by_slack(secret: bytes, body: bytes, stamp: str, signature: str, now: float) -> bool:
    """Slack's v0 scheme over the raw bytes (the SDK's verifier decodes them first, and fails on bad UTF-8):
    hex HMAC-SHA256 of "v0:<timestamp>:<body>", with a timestamp at most 5 minutes from now."""
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 12) or abs(now - int(stamp)) > MAX_SKEW_SECONDS:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def check_readable(raw: bytes, content_type: str | None) -> None:
    """Raise Unreadable for a body that bolt could not parse, by bolt's own rules (JSON when the type says so or
    it starts with "{", else a form whose `payload` field is JSON): bolt parses before anything else and
    answers its errors with a 500 and a traceback. Checked once the signature is known to be Slack's."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8") from None
    if not text:
        return
    if content_type == "application/json" or text.startswith("{"):
        json_object(text)
    elif "payload" in text:
        payload = dict(parse_qsl(text, keep_blank_values=True)).get("payload")
        if payload is not None:
            json_object(payload)


class RecentIds:
    """The last `size` ids seen, to drop a delivery Slack repeats (same event_id, trigger_id) after a timeout
    or a reconnect. In memory: what the adapter falls back on while Redis, which all replicas share, fails."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str) -> bool:
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)
        return True
