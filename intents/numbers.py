"""Numbers as engineers type or say them: "20", "twenty", "forty two", "a dozen", "one hundred and five",
"four two" (digits read one by one, as people read alert ids aloud)."""

from __future__ import annotations

import re
from collections.abc import Sequence

UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,  # a common misspelling, and what some recognisers emit
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
NUMBER_WORDS = frozenset({*UNITS, *TEENS, *TENS, "hundred", "thousand", "dozen"})

# Nine digits is far more than any count or alert id; longer digit runs are ids of something else.
_MAX_DIGITS = 9
_SPLIT = re.compile(r"[\s\-]+")


def is_digits(word: str) -> bool:
    """ASCII digits only: int() would also accept other scripts' digits, which nobody means here."""
    return 0 < len(word) <= _MAX_DIGITS and word.isascii() and word.isdigit()


def read_number(words: Sequence[str], start: int = 0) -> tuple[int, int] | None:
    """The number spelled at `words[start:]` (lowercase words), as (value, index after it), or None."""
    if start >= len(words):
        return None
    first = words[start]
    if is_digits(first):
        return int(first), start + 1
    digit_run = _read_digit_run(words, start)
    if digit_run is not None:
        return digit_run
    return _read_spelled(words, start)


def parse_number(text: str) -> int | None:
    """`text` as exactly one number ("42", "forty-two", "a dozen"), else None."""
    words = [w for w in _SPLIT.split(text.strip().lower()) if w]
    found = read_number(words)
    if found is None or found[1] != len(words):
        return None
    return found[0]


def _read_digit_run(words: Sequence[str], start: int) -> tuple[int, int] | None:
    """ "four two" -> 42: two or more single digits in a row are read as a digit string."""
    end = start
    while end < len(words) and words[end] in UNITS and end - start < _MAX_DIGITS:
        end += 1
    if end - start < 2:
        return None
    return int("".join(str(UNITS[w]) for w in words[start:end])), end


def _read_spelled(words: Sequence[str], start: int) -> tuple[int, int] | None:
    i = start
    implied_one = False
    if words[i] in ("a", "an") and i + 1 < len(words) and words[i + 1] in ("hundred", "thousand", "dozen", "couple"):
        implied_one = True
        i += 1
    if words[i] == "couple" and implied_one:  # "a couple (of)"
        i += 1
        return 2, (i + 1 if i < len(words) and words[i] == "of" else i)
    if words[i] == "half" and tuple(words[i + 1 : i + 3]) == ("a", "dozen"):
        return 6, i + 3

    total = 0
    current = 0  # the part below one thousand
    last = ""  # category of the previous word: unit, teen, tens, hundred, thousand, dozen
    group_has_hundred = False
    seen = False
    while i < len(words):
        word = words[i]
        if word in UNITS or word in TEENS:
            if last in ("unit", "teen", "dozen") or (last == "tens" and word not in UNITS) or (word == "zero" and seen):
                break
            current += UNITS.get(word, TEENS.get(word, 0))
            last = "unit" if word in UNITS else "teen"
        elif word in TENS:
            if last in ("unit", "teen", "tens", "dozen"):
                break
            current += TENS[word]
            last = "tens"
        elif word == "hundred":
            # "five hundred", "twenty five hundred", "a hundred"; never twice in one group.
            if group_has_hundred or not (last in ("unit", "teen") or (last == "" and implied_one)):
                break
            current = (current or 1) * 100
            group_has_hundred = True
            last = "hundred"
        elif word == "thousand":
            if total or last == "dozen" or not (seen or implied_one):
                break
            total = (current or 1) * 1000
            current = 0
            group_has_hundred = False
            last = "thousand"
        elif word == "dozen":
            if last not in ("unit", "teen", "tens") and not (last == "" and implied_one):
                break
            current = (current or 1) * 12
            last = "dozen"
        elif word == "and" and last in ("hundred", "thousand") and _starts_number(words, i + 1):
            i += 1
            continue
        else:
            break
        seen = True
        i += 1
    if not seen:
        return None
    return total + current, i


def _starts_number(words: Sequence[str], i: int) -> bool:
    return i < len(words) and (words[i] in UNITS or words[i] in TEENS or words[i] in TENS)
