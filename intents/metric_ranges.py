"""The range and the comparison a metrics question asks for, as words: "last 6h", "over the past 30 minutes",
"since 3am", "since yesterday", "today", "vs last week", "week over week". Each item reads one of them at a
position into slot values (`duration_seconds`, `since`, `period`, `compare`), for `intents.metric_slots.Tail`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TypeVar

from intents.clock import read_clock
from intents.durations import MAX_LOOKBACK_SECONDS, UNIT_SECONDS, read_duration
from intents.reading import Values

Item = tuple[Values, int] | None
ItemReader = Callable[[Sequence[str], int], Item]

_HOUR, _DAY = 3600, 86400
_LAST = frozenset({"last", "past", "previous", "prior"})
_LENGTH_LEADS = frozenset({"for", "over", "in", "during", "within"})
_RANGE_LEADS = _LENGTH_LEADS | {"from", "of", "across"}
# Words in a range that say nothing more: "cpu of web-prod right now", "... so far".
_IDLE = (("right", "now"), ("at", "the", "moment"), ("so", "far"), ("now",), ("currently",), ("atm",), ("the",))
_PERIODS: Mapping[tuple[str, ...], str] = {
    ("today",): "today",
    ("so", "far", "today"): "today",
    ("today", "so", "far"): "today",
    ("all", "day"): "today",
    ("yesterday",): "yesterday",
    ("this", "week"): "this_week",
}
# "since last night": people mean the last so many hours, not a clock time.
_SINCE_DAYS: Mapping[tuple[str, ...], int] = {
    ("yesterday",): _DAY,
    ("last", "night"): 12 * _HOUR,
    ("last", "week"): 7 * _DAY,
    ("this", "morning"): 12 * _HOUR,
}
_MONTH = frozenset({"month", "months"})
_LAST_WEEK = "last week|a week ago|the week before|previous week|the previous week|last weeks|same day last week"
_YESTERDAY = "yesterday|a day ago|the day before|previous day|the previous day"
_AGAINST: Mapping[tuple[str, ...], str] = {
    **{tuple(p.split()): "last_week" for p in _LAST_WEEK.split("|")},
    **{tuple(p.split()): "yesterday" for p in _YESTERDAY.split("|")},
}
_SAME_TIME = (("the", "same", "time"), ("same", "time"), ("this", "time"), ("the", "same"))
_COMPARE_LEADS = (
    ("compared", "to"),
    ("compared", "with"),
    ("compare", "to"),
    ("compare", "with"),
    ("relative", "to"),
    ("vs",),
    ("versus",),
    ("against",),
    ("with",),
    ("to",),
    ("v",),
)
_OVER: Mapping[tuple[str, ...], str] = {
    ("week", "over", "week"): "last_week",
    ("wow",): "last_week",
    ("w/w",): "last_week",
    ("day", "over", "day"): "yesterday",
    ("dod",): "yesterday",
    ("d/d",): "yesterday",
}
V = TypeVar("V")


def _phrase(words: Sequence[str], i: int, phrases: Mapping[tuple[str, ...], V]) -> tuple[V, int] | None:
    """The value of the longest phrase of `phrases` (of at most five words) at words[i:]."""
    for n in range(min(5, len(words) - i), 0, -1):
        value = phrases.get(tuple(words[i : i + n]))
        if value is not None:
            return value, i + n
    return None


def _starts(words: Sequence[str], i: int, leads: Sequence[tuple[str, ...]]) -> Iterator[int]:
    """The index after each of `leads` found at words[i:]."""
    for lead in leads:
        if tuple(words[i : i + len(lead)]) == lead:
            yield i + len(lead)


def compare(words: Sequence[str], i: int) -> Item:
    """ "vs last week", "compared to the same time yesterday", "week over week"."""
    over = _phrase(words, i, _OVER)
    if over:
        return {"compare": over[0]}, over[1]
    for at in _starts(words, i, _COMPARE_LEADS):
        for same in (*_starts(words, at, _SAME_TIME), at):
            found = _phrase(words, same, _AGAINST)
            if found:
                return {"compare": found[0]}, found[1]
    return None


def since(words: Sequence[str], i: int) -> Item:
    """ "since 3am", "from 14:30", "since 2 hours ago"."""
    if i >= len(words) or words[i] not in ("since", "from", "after", "starting"):
        return None
    clock = read_clock(words, i + 1)
    if clock:
        return {"since": clock[0]}, clock[1]
    back = _phrase(words, i + 1, _SINCE_DAYS)  # "since yesterday": about a day, as people mean it
    if back:
        return {"duration_seconds": back[0]}, back[1]
    for end, seconds in read_duration(words, i + 1, MAX_LOOKBACK_SECONDS):
        if end < len(words) and words[end] == "ago":
            return {"duration_seconds": seconds}, end + 1
    return None


def lookback(words: Sequence[str], i: int) -> Item:
    """ "last 6h", "over the past 30 minutes", "in the last hour", "the past week", "last month", "6 hours"."""
    at = i + 1 if i < len(words) and words[i] in _RANGE_LEADS else i
    at += 1 if at < len(words) and words[at] == "the" else 0
    last = at < len(words) and words[at] in _LAST
    at += 1 if last else 0
    if at >= len(words):
        return None
    if last and words[at].isalpha() and len(words[at]) > 1 and words[at] in UNIT_SECONDS:  # "last hour"
        return {"duration_seconds": UNIT_SECONDS[words[at]]}, at + 1
    if last and words[at] in _MONTH:
        return {"duration_seconds": 30 * _DAY}, at + 1
    if not last and at > i and words[i] not in _LENGTH_LEADS:  # "of 6 hours", "the 6 hours": no range
        return None
    longest: Item = None
    for end, seconds in read_duration(words, at, MAX_LOOKBACK_SECONDS):
        longest = {"duration_seconds": seconds}, end
    return longest


def period(words: Sequence[str], i: int) -> Item:
    """ "today", "for yesterday", "this week"."""
    at = i + 1 if i < len(words) and words[i] in ("for", "from", "over", "during") else i
    found = _phrase(words, at, _PERIODS)
    return ({"period": found[0]}, found[1]) if found else None


def idle(words: Sequence[str], i: int) -> Item:
    """Words that say nothing more ("right now", "so far")."""
    for end in _starts(words, i, _IDLE):
        return {}, end
    return None


# Comparison first: "with last week" is one, "last week" a range.
TIME_ITEMS: tuple[ItemReader, ...] = (compare, since, period, lookback, idle)
