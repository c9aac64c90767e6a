"""Replies as a phone shows them: within Telegram's 4096-character limit, never a broken character, and
no button whose press would send back something else than its id."""

from __future__ import annotations

import logging

import pytest

from bot.telegram.render import MAX_TEXT, render
from core.models import Button, ConversationRef, Reply

REF = ConversationRef(channel="telegram", conversation_id="1111111")


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize("unit", ["a", "é", "🔥", "👩‍🚒"])
def test_a_long_reply_is_cut_to_the_limit_without_splitting_a_character(unit: str) -> None:
    text = render(Reply(ref=REF, key="k", text=unit * 5000)).text
    assert _utf16(text) <= MAX_TEXT
    assert text.endswith("…")
    assert set(text[:-1]) <= set(unit)  # only whole characters before the ellipsis
    assert text.encode("utf-16-le").decode("utf-16-le") == text  # no lone surrogate half


def test_a_reply_within_the_limit_is_sent_as_is() -> None:
    text = "prod: 3 problems.\n<b>not markup</b> & שלום 🚀"
    assert render(Reply(ref=REF, key="k", text=text)).text == text


def test_buttons_share_a_row_when_they_fit_and_get_one_each_otherwise() -> None:
    pair = render(Reply(ref=REF, key="k", text="?", buttons=(Button(id="confirm:A", label="Confirm"),
                                                             Button(id="cancel:A", label="Cancel"))))  # fmt: skip
    assert pair.keyboard is not None and [len(row) for row in pair.keyboard.inline_keyboard] == [2]
    names = ("web-prod", "web-dr", "web-edge-prod", "None")
    picks = render(Reply(ref=REF, key="k", text="Did you mean", buttons=tuple(
        Button(id=f"pick:{i}", label=name) for i, name in enumerate(names))))  # fmt: skip
    assert picks.keyboard is not None and [len(row) for row in picks.keyboard.inline_keyboard] == [1, 1, 1, 1]


def test_a_button_id_longer_than_telegram_allows_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    buttons = (Button(id="confirm:" + "X" * 60, label="Confirm"), Button(id="cancel:AB12", label="Cancel"))
    shown = render(Reply(ref=REF, key="k", text="?", buttons=buttons))
    assert shown.keyboard is not None
    assert [b.callback_data for row in shown.keyboard.inline_keyboard for b in row] == ["cancel:AB12"]
    assert "64-byte" in caplog.text
