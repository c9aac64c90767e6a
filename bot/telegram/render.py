"""Reply -> what the Bot API sends: plain text (no parse mode, so nothing a user typed that we echo back
can ever be read as markup) and an inline keyboard whose callback data is the button id. Every text and
label goes through `for_chat` first: the last line of defence against control, bidi and zero-width
characters from outside.

A link button opens its URL; one to opsbot's own dashboard (`app_url`, https only) opens as the Mini App in a
private chat, the only place Telegram allows a web_app button (a group refuses the message: BUTTON_TYPE_INVALID)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from core.models import Button, ConversationRef, Reply
from core.untrusted import for_chat

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # Bot API limit, counted in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
# Buttons share one row while they fit a phone screen ("Confirm  Cancel"); longer sets get a row each.
_ROW_CHARS = 30
_ROW_BUTTONS = 3


@dataclass(frozen=True)
class Rendered:
    text: str
    keyboard: InlineKeyboardMarkup | None


def render(reply: Reply, app_url: str | None = None) -> Rendered:
    """`app_url`: the dashboard's https address (OPSBOT_PUBLIC_URL + "/app"), or None when it has none."""
    mini_app = app_url if _is_private(reply.ref) else None
    return Rendered(text=clip(for_chat(reply.text).strip() or "-"), keyboard=keyboard(reply.buttons, mini_app))


def keyboard(buttons: tuple[Button, ...], mini_app: str | None = None) -> InlineKeyboardMarkup | None:
    """`mini_app`: links under this address open as the Mini App (web_app); None: every link is a plain url."""
    usable = [b for b in buttons if _fits(b)]
    if not usable:
        return None
    labels = [for_chat(b.label).strip() or "?" for b in usable]
    keys = [_key(label, b, mini_app) for label, b in zip(labels, usable, strict=True)]
    one_row = len(keys) <= _ROW_BUTTONS and sum(len(label) for label in labels) <= _ROW_CHARS
    return InlineKeyboardMarkup([keys] if one_row else [[key] for key in keys])


def _key(label: str, button: Button, mini_app: str | None) -> InlineKeyboardButton:
    url = button.url
    if url is None:
        return InlineKeyboardButton(text=label, callback_data=button.id)
    if mini_app is not None and (url == mini_app or url.startswith((mini_app + "/", mini_app + "#"))):
        # Telegram signs the Mini App in itself (initData, in the URL's fragment): a link token there is not needed.
        return InlineKeyboardButton(text=label, web_app=WebAppInfo(url.partition("#")[0]))
    return InlineKeyboardButton(text=label, url=url)


def _is_private(ref: ConversationRef) -> bool:
    """A private chat's id is the user's (positive); groups and channels have negative ids."""
    return ref.conversation_id.isdigit()


def _fits(button: Button) -> bool:
    if button.url is not None or len(button.id.encode()) <= MAX_CALLBACK_DATA:
        return True
    # A truncated id would press something else; without the button the reply still names its code.
    log.warning("button %r dropped: its id is longer than Telegram's 64-byte callback data", button.label)
    return False


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """`text` cut to `limit` UTF-16 code units with an ellipsis, never splitting a character."""
    if _utf16_len(text) <= limit:
        return text
    used, cut = 0, 0
    for index, char in enumerate(text):
        width = _utf16_len(char)
        if used + width > limit - 1:
            cut = index
            break
        used += width
    return text[:cut] + "…"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
