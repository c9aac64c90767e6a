"""parse() never raises, stays within its confidence bounds, and reads only a bounded prefix of any input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.models import IntentName
from intents.grammar import keywords
from intents.parser import parse
from intents.text import MAX_CHARS

_EXTRA = ["web-prod", "db prod", "20", "forty two", "K7Q2", "#42", "+3", "-2", "?", "!", "@opsbot", "/ops", "<@U1>"]
_ODD = ["🔥", "👍", "שלום", "مرحبا", "\u202e", "\u200f", "ﷺ", "İ", "ß", "\x00", "\n", "´", "’s"]
_WORDS = [*sorted(keywords()), *_EXTRA, *_ODD]


def _check(text: str) -> None:
    intent = parse(text)
    assert 0.0 <= intent.confidence <= 1.0
    assert len(intent.text) <= MAX_CHARS
    if intent.name is IntentName.UNKNOWN:
        assert intent.confidence < 0.5
        assert set(intent.slots.present()) <= {"topic"}  # at most the command a misspelt verb would be, to show
    else:
        assert intent.confidence >= 0.5


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_unicode_text(text: str) -> None:
    _check(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=30).map(" ".join))
def test_any_mix_of_command_words(text: str) -> None:
    _check(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(categories=["Lo", "Mn", "Cf", "So", "Nd", "Zs"]), max_size=200))
def test_right_to_left_marks_emoji_and_other_scripts(text: str) -> None:
    _check(text)


def test_a_100_kb_paste_is_not_a_command() -> None:
    paste = "restart db-prod " + "x" * 100_000
    intent = parse(paste)
    assert intent.name is IntentName.UNKNOWN
    assert len(intent.text) == MAX_CHARS


def test_many_words_are_not_a_command() -> None:
    assert parse("status " * 60).name is IntentName.UNKNOWN


def test_emoji_and_rtl_around_a_command() -> None:
    assert parse("🔥 restart db-prod 🔥").name is IntentName.RESTART
    assert parse("\u200frestart db-prod\u200f").slots.target == "db-prod"
