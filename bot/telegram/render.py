"""Reply -> what the Bot API sends: plain text (no parse mode, so nothing a user typed that we echo back
can ever be read as markup) and an inline keyboard whose callback data is the button id. Every text and
label goes through `for_chat` first: the last line of defence against control, bidi and zero-width
characters from outside."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core.models import Button, Reply
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


def render(reply: Reply) -> Rendered:
    return Rendered(text=clip(for_chat(reply.text).strip() or "-"), keyboard=keyboard(reply.buttons))


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    usable = [b for b in buttons if _fits(b)]
    if not usable:
        return None
    labels = [for_chat(b.label).strip() or "?" for b in usable]
    keys = [InlineKeyboardButton(text=label, callback_data=b.id) for label, b in zip(labels, usable, strict=True)]
    one_row = len(keys) <= _ROW_BUTTONS and sum(len(label) for label in labels) <= _ROW_CHARS
    return InlineKeyboardMarkup([keys] if one_row else [[key] for key in keys])


def _fits(button: Button) -> bool:
    if len(button.id.encode()) <= MAX_CALLBACK_DATA:
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
