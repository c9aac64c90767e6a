"""Lengths of time as engineers type or say them: "1h", "90m", "1h30m", "30 minutes", "two hours",
"half an hour", "an hour and a half", "1 hour 30 minutes", "a day". Read into whole seconds, at most
`MAX_DURATION_SECONDS`: a longer time is read as that cap (a silence comes back sooner, never later)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from intents.numbers import read_number

MAX_DURATION_SECONDS = 7 * 24 * 3600
# How far back a metrics question may look ("cpu of web-prod last month"): a month, as the sources keep it.
MAX_LOOKBACK_SECONDS = 31 * 24 * 3600

UNIT_SECONDS: dict[str, int] = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60),  # "m" is minutes ("90m"), never months
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600),
    **dict.fromkeys(("d", "day", "days"), 86400),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), 7 * 86400),
}
_FRACTIONS = {"half": 0.5, "quarter": 0.25}
_AND_A_HALF = ("and", "a", "half")
# Digits are bounded, so no typed length can be a huge float; the cap applies after adding the parts up.
_COMPACT_PART = re.compile(r"([0-9]{1,6}(?:\.[0-9]{1,3})?)([a-z]+)")
_DECIMAL = re.compile(r"[0-9]{1,6}\.[0-9]{1,3}")
_MAX_PARTS = 3


def read_duration(words: Sequence[str], start: int, cap: int = MAX_DURATION_SECONDS) -> Iterator[tuple[int, int]]:
    """Every way `words[start:]` begins with a length of time, as (index after it, seconds at most `cap`),
    shortest first. Parts add up when each names a smaller unit than the one before ("1 hour and 30 minutes",
    "2h 15m")."""
    end, total, last_unit = start, 0, 0
    for part in range(_MAX_PARTS):
        at = end + 1 if part and end < len(words) and words[end] == "and" else end
        found = _part(words, at)
        if found is None:
            return
        end, seconds, unit = found
        if last_unit and unit >= last_unit:
            return
        total, last_unit = total + seconds, unit
        yield end, min(total, cap)


def _part(words: Sequence[str], i: int) -> tuple[int, int, int] | None:
    """One amount of one unit from `words[i]`: (index after it, seconds, seconds of its smallest unit)."""
    if i >= len(words):
        return None
    compact = _compact(words[i])
    if compact is not None:
        return i + 1, compact[0], compact[1]
    fraction = _fraction(words, i)
    if fraction is not None:
        return fraction
    amount = _amount(words, i)
    if amount is None:
        return None
    value, at, whole = amount
    unit = UNIT_SECONDS.get(words[at]) if at < len(words) else None
    if unit is None:
        return None
    at += 1
    if whole and tuple(words[at : at + 3]) == _AND_A_HALF:  # "an hour and a half"
        return at + 3, round((value + 0.5) * unit), unit
    return at, round(value * unit), unit


def _fraction(words: Sequence[str], i: int) -> tuple[int, int, int] | None:
    """ "half an hour", "a half hour", "a quarter of an hour"."""
    at = i + 1 if words[i] == "a" else i
    if at >= len(words) or words[at] not in _FRACTIONS:
        return None
    share = _FRACTIONS[words[at]]
    at += 1
    if at < len(words) and words[at] == "of":
        at += 1
    if at < len(words) and words[at] in ("a", "an"):
        at += 1
    unit = UNIT_SECONDS.get(words[at]) if at < len(words) else None
    if unit is None or unit < 60:  # half a second is no length for anything here
        return None
    return at + 1, round(share * unit), unit


def _amount(words: Sequence[str], i: int) -> tuple[float, int, bool] | None:
    """The number before a unit: (value, index after it, whether "and a half" may still follow the unit)."""
    word = words[i]
    if word in ("a", "an") and i + 1 < len(words) and words[i + 1] in UNIT_SECONDS:
        return 1.0, i + 1, True
    if _DECIMAL.fullmatch(word):
        return float(word), i + 1, False
    number = read_number(words, i)
    if number is None:
        return None
    value, at = number
    if tuple(words[at : at + 3]) == _AND_A_HALF:  # "two and a half hours"
        return value + 0.5, at + 3, False
    return float(value), at, True


def _compact(word: str) -> tuple[int, int] | None:
    """ "1h30m", "90m", "2hrs", "1.5h" -> (seconds, seconds of its smallest unit), else None."""
    if not ("0" <= word[:1] <= "9"):
        return None
    total, pos, smallest = 0.0, 0, 0
    for found in _COMPACT_PART.finditer(word):
        unit = UNIT_SECONDS.get(found.group(2))
        if found.start() != pos or unit is None or (smallest and unit >= smallest):
            return None
        total += float(found.group(1)) * unit
        pos, smallest = found.end(), unit
    if pos != len(word) or not smallest:
        return None
    return round(total), smallest
