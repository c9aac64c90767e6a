"""Money as engineers type or say it: "$20k", "20k", "$20,000" (the tokenizer has dropped the "$" and the
thousands comma), "20 thousand", "$1.5m", "15000 dollars", "20 grand", "twenty thousand". Read in USD, the only
currency of opsbot's cost data: an amount in another currency ("20k euros") is not read at all, so it is never
taken for dollars. "a month", "per month", "/month" may follow (a budget is monthly); "a year" may not."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from intents.numbers import NUMBER_WORDS, read_number
from intents.reading import Input, Yield

# Above a billion dollars a month is a slip of the keyboard, not a budget.
MAX_AMOUNT = 1e9
_SCALES: Mapping[str, float] = {
    **dict.fromkeys(("k", "thousand", "grand", "thou"), 1e3),
    **dict.fromkeys(("m", "mil", "mill", "million", "mn"), 1e6),
}
_FIGURE = re.compile(r"(\d+(?:\.\d+)?)(k|m|mn)?(?:/(?:month|mo|mth))?")
_CURRENCY = frozenset({"dollars", "dollar", "usd", "bucks", "us$"})
_MONTHLY: tuple[tuple[str, ...], ...] = (
    ("a", "month"),
    ("per", "month"),
    ("each", "month"),
    ("every", "month"),
    ("monthly",),
    ("pm",),
    ("p/m",),
    ("/month",),
    ("a", "mo"),
    ("per", "mo"),
)


def _figure(words: Sequence[str], i: int) -> tuple[float, int] | None:
    """The number at words[i:], with a scale written into it ("20k") or said after it ("20 thousand")."""
    found = _FIGURE.fullmatch(words[i])
    if found is not None:
        value = float(found.group(1)) * _SCALES.get(found.group(2) or "", 1.0)
        end = i + 1
        if found.group(2) is None and end < len(words) and words[end] in _SCALES:
            value, end = value * _SCALES[words[end]], end + 1
        return value, end
    if words[i] not in NUMBER_WORDS:
        return None
    spoken = read_number(words, i)
    if spoken is None:
        return None
    value, end = float(spoken[0]), spoken[1]
    if end < len(words) and words[end] in _SCALES and words[end] != "thousand":  # "twenty k", "two million"
        value, end = value * _SCALES[words[end]], end + 1
    return value, end


def read_money(words: Sequence[str], i: int) -> tuple[float, int] | None:
    """(USD, index after) for the amount at words[i:], its currency and "a month" read with it; None when there
    is none, or it is not positive, or it is absurdly large."""
    if i >= len(words):
        return None
    start = i + 1 if words[i] in ("usd", "us$") else i
    if start >= len(words):
        return None
    figure = _figure(words, start)
    if figure is None:
        return None
    value, end = figure
    if end < len(words) and words[end] in _CURRENCY:
        end += 1
    for phrase in _MONTHLY:
        if tuple(words[end : end + len(phrase)]) == phrase:
            end += len(phrase)
            break
    if not 0 < value <= MAX_AMOUNT:
        return None
    return round(value, 2), end


def read_amount(inp: Input, start: int) -> Yield:
    """The {amount} slot: a budget's monthly USD."""
    found = read_money(inp.words, start)
    if found is not None:
        yield found[1], {"amount": found[0]}
