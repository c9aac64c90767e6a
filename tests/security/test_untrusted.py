"""The one sanitiser for text from outside: what each medium gets, over hand-picked hostile characters and over
random text from the whole of Unicode (hypothesis): always legal for its medium, idempotent, never longer."""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.untrusted import for_chat, for_sms, for_xml, gsm7, one_line

BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE = "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u00ad\u3164\uffa0"
CONTROLS = "".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if chr(c) not in "\n\t")
NONCHARACTERS = "\ufffe\uffff\ufdd0\ufdef\U0001fffe\U0010ffff"
HOSTILE = BIDI + INVISIBLE + CONTROLS + NONCHARACTERS

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=300)
mixed = st.lists(st.sampled_from([*HOSTILE, "\ud800", "\udfff", "a", "é", "😀", " ", "\n", "🏴"])
                 | st.characters(), max_size=80).map("".join)  # fmt: skip


@pytest.mark.parametrize("bad", [*HOSTILE, "\ud800", "\udc00", "\U000e0041"])
def test_each_hostile_character_is_taken_out(bad: str) -> None:
    assert for_chat(f"web{bad}prod") == "webprod"
    assert for_xml(f"web{bad}prod") == "webprod"
    assert for_sms(f"web{bad}prod") == "webprod"
    assert one_line(f"web{bad}prod") == "webprod"


def test_a_spoofed_name_reads_as_what_it_is() -> None:
    # "web-prod" written backwards after a right-to-left override shows as "web-prod" in a chat app.
    assert for_chat("ALERT \u202edorp-bew\u202c OK") == "ALERT dorp-bew OK"
    assert for_chat("status\u200b: \u2066resolved\u2069") == "status: resolved"


@pytest.mark.parametrize(
    "text",
    [
        "web-prod: 5xx above 5%\n\tsecond line",
        "Latenz über 5 s — Zürich “prod” łódź",
        "東京リージョン 응답 없음 Ошибка ошибка αβγ",
        "مرحبا بالعالم עברית",  # right-to-left scripts keep their letters (the bidi *controls* go)
        "हिन्दी क्‍ष",  # Devanagari, a zero-width joiner between its letters stays
        "می‌خواهم",  # Persian needs its zero-width non-joiner
        "👩‍💻 👨‍👩‍👧 🏳️‍🌈 1️⃣ 👍🏽",  # emoji ZWJ sequences, keycaps, skin tones
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # the flag of Scotland (tag sequence)
        "… · ‘quoted’ – — • € £ ¥ ✅ ❌ ✔ ✖",  # what our own replies use
        "\U00031350",  # a letter newer than this Python's Unicode tables: kept
    ],
)
def test_real_writing_is_kept(text: str) -> None:
    assert for_chat(text) == text
    assert for_xml(text) == text


def test_joiners_and_tags_go_where_they_only_hide_something() -> None:
    assert for_chat("web\u200dprod") == "webprod"  # between ASCII letters: invisible, meaningless
    assert for_chat("\u200d👍") == "👍"
    assert for_chat("ok\U000e0068\U000e0069") == "ok"  # tags outside a flag: text nobody sees
    assert for_chat("\u2028") == "\n"


def test_one_line_is_clean_text_with_every_run_of_whitespace_one_space() -> None:
    assert one_line("  disk full\r\n\ton \u202edb-1\u202c \x1b[31m  ") == "disk full on db-1 [31m"


def test_sms_is_one_line_of_gsm7() -> None:
    assert for_sms("Latenz über 5 s — Zürich “prod” łódź 東京 café…\r\n\x1b[31mred") == (
        'Latenz über 5 s - Zürich "prod" ?odz ?? café... [31mred'
    )
    assert for_sms("ﬁlter ¨ x") == "filter x"


def cleaned_once_for_all(clean: Callable[[str], str], text: str, *, growth: int = 1) -> str:
    """`clean(text)`, checked to be idempotent and at most `growth` times as long as `text`."""
    cleaned = clean(text)
    assert clean(cleaned) == cleaned
    assert len(cleaned) <= growth * len(text)
    return cleaned


@settings(max_examples=300, deadline=None)
@given(text=any_text | mixed)
def test_chat_text_is_always_clean_idempotent_and_never_longer(text: str) -> None:
    clean = cleaned_once_for_all(for_chat, text)
    for ch in clean:
        category = unicodedata.category(ch)
        assert category not in ("Cc", "Cs") or ch in "\n\t", repr(ch)
        assert category != "Cf" or ch in "\u200c\u200d" or 0xE0020 <= ord(ch) <= 0xE007F, repr(ch)
        assert (ord(ch) & 0xFFFE) != 0xFFFE and not 0xFDD0 <= ord(ch) <= 0xFDEF, repr(ch)


@settings(max_examples=300, deadline=None)
@given(text=any_text | mixed)
def test_xml_text_always_parses_idempotent_and_never_longer(text: str) -> None:
    clean = cleaned_once_for_all(for_xml, text)
    element = ET.fromstring(f"<Say>{clean.replace('&', '&amp;').replace('<', '&lt;')}</Say>".encode())
    assert (element.text or "") == clean.replace("\r", "\n")


@settings(max_examples=300, deadline=None)
@given(text=any_text | mixed)
def test_sms_text_is_always_gsm7_on_one_line_and_idempotent(text: str) -> None:
    clean = cleaned_once_for_all(for_sms, text, growth=3)  # "…" is "...", "ﬃ" is "ffi": never more than three for one
    assert gsm7(clean)
    assert "\n" not in clean and "\r" not in clean and clean == clean.strip()
