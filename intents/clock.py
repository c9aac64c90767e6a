"""Times of day as engineers type or say them after "since": "3am", "3 am", "14:30", "9pm", "9:15pm", "0300",
"midnight", "noon", "three am", "nine o'clock pm". Read as "HH:MM" on a 24 h clock; which day and which timezone
is the answer's business, not the parser's."""

from __future__ import annotations

import re
from collections.abc import Sequence

from intents.numbers import UNITS

_NAMED = {"midnight": "00:00", "noon": "12:00", "midday": "12:00"}
_HALVES = {"am": False, "a.m": False, "pm": True, "p.m": True}
_CLOCK_WORDS = frozenset({"oclock", "o'clock", "h", "hrs"})
_SMALL = {**UNITS, "ten": 10, "eleven": 11, "twelve": 12}
# "3am", "9:15pm", "14:30", "3.30pm"; a bare "3" or "1430" needs no more than the colon or four digits.
_WITH_HALF = re.compile(r"(\d{1,2})(?:[:.](\d{2}))?(am|pm|a\.m|p\.m)")
_COLON = re.compile(r"(\d{1,2})[:.](\d{2})")
_FOUR = re.compile(r"(\d{2})(\d{2})")


def read_clock(words: Sequence[str], i: int) -> tuple[str, int] | None:
    """The time of day at `words[i:]`, as ("HH:MM", index after it), or None. A bare hour ("since 3") is not
    read: it may be a count or a length, and the hour of a day needs am/pm, a colon or four digits."""
    if i >= len(words):
        return None
    word = words[i]
    if word in _NAMED:
        return _NAMED[word], i + 1
    found = _WITH_HALF.fullmatch(word)
    if found:
        return _twelve(int(found.group(1)), int(found.group(2) or 0), _HALVES[found.group(3)], i + 1)
    found = _COLON.fullmatch(word) or (_FOUR.fullmatch(word) if len(word) == 4 else None)
    hour = minute = None
    if found:
        hour, minute = int(found.group(1)), int(found.group(2))
    elif word.isascii() and word.isdigit() and len(word) <= 2:
        hour, minute = int(word), 0
    elif word in _SMALL:
        hour, minute = _SMALL[word], 0
    if hour is None or minute is None:
        return None
    after = words[i + 1] if i + 1 < len(words) else ""
    if after in _HALVES:
        return _twelve(hour, minute, _HALVES[after], i + 2)
    if after in _CLOCK_WORDS and minute == 0:  # "9 o'clock": the next such hour is the answer's to pick; read as said
        return _twenty_four(hour, minute, i + 2)
    if found is None:  # "since 3", "since three": no am/pm, no colon
        return None
    return _twenty_four(hour, minute, i + 1)


def _twelve(hour: int, minute: int, pm: bool, end: int) -> tuple[str, int] | None:
    if not 1 <= hour <= 12:
        return None
    return _twenty_four(hour % 12 + (12 if pm else 0), minute, end)


def _twenty_four(hour: int, minute: int, end: int) -> tuple[str, int] | None:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}", end
