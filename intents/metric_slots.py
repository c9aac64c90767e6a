"""Slot readers of metrics questions: the range asked about ("last 6h", "since 3am", "today"), a comparison ("vs
last week", "week over week"), the place ("in prod on aws"), what a top list ranks ("top 5 instances") and how
long a watch runs ("for 10 min"). Each yields its readings shortest first, as every reader does."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from intents import vocab
from intents.clock import read_clock
from intents.durations import MAX_LOOKBACK_SECONDS, UNIT_SECONDS, read_duration
from intents.reading import Input, Reader, Values, Yield

Item = tuple[Values, int] | None

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
_SINCE_DAYS: Mapping[tuple[str, ...], int] = {
    ("yesterday",): _DAY,
    ("last", "night"): 12 * _HOUR,
    ("last", "week"): 7 * _DAY,
    ("this", "morning"): 12 * _HOUR,
}
_UNIT_WORDS = frozenset({"minute", "hour", "day"})
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
_LOCATORS = frozenset({"in", "on", "at", "from", "across", "for"})
_SCOPE_ITEMS: tuple[Callable[[Sequence[str], int], tuple[object, int] | None], ...] = (
    vocab.read_provider,
    vocab.read_region,
    vocab.read_environment,
)
_SCOPE_SLOTS = ("provider", "region", "environment")
# Machine words that are no kind of their own ("nodes", "pods"): what a top list of them ranks is instances.
_MACHINES = frozenset({"nodes", "node", "pods", "pod", "replicas", "replica", "workers", "worker", "units", "unit"})


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


def _compare(words: Sequence[str], i: int) -> Item:
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


def _since(words: Sequence[str], i: int) -> Item:
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


def _lookback(words: Sequence[str], i: int) -> Item:
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


def _period(words: Sequence[str], i: int) -> Item:
    at = i + 1 if i < len(words) and words[i] in ("for", "from", "over", "during") else i
    found = _phrase(words, at, _PERIODS)
    return ({"period": found[0]}, found[1]) if found else None


def _idle(words: Sequence[str], i: int) -> Item:
    for end in _starts(words, i, _IDLE):
        return {}, end
    return None


def _scope(words: Sequence[str], i: int) -> Item:
    for slot, read in zip(_SCOPE_SLOTS, _SCOPE_ITEMS, strict=True):
        found = read(words, i)
        if found is not None:
            return {slot: found[0]}, found[1]
    return None


def _located(words: Sequence[str], i: int) -> Item:
    """A place after a locator: "on aws", "in eu-west-1" (after a name, "web prod" is the name's own)."""
    if i < len(words) and words[i] in _LOCATORS:
        return _scope(words, i + 1)
    return None


_TIME_ITEMS = (_compare, _since, _period, _lookback, _idle)


@dataclass(frozen=True)
class Tail:
    """A bag of what a metrics question says after its subject, in any order. `place`: whether a place may be
    said bare ("top 5 by cpu prod aws"), only after a locator (after a name: "cpu of web-prod on aws"), or not
    at all; `require`: the slots (or "place") that must be read."""

    place: Literal["bare", "located", "none"]
    require: tuple[str, ...] = ()
    compare: bool = True  # False where the rule itself says what to compare with

    def __call__(self, inp: Input, start: int) -> Yield:
        values: Values = {}
        i = start
        while i < len(inp.words):
            found = self._item(inp.words, i)
            if found is None or found[1] <= i:
                return
            read, i = found
            for key, value in read.items():
                if values.setdefault(key, value) != value:
                    return  # "last 6h since 3am": two ranges
            if self._complete(values):
                yield i, dict(values)

    def _item(self, words: Sequence[str], i: int) -> Item:
        for item in _TIME_ITEMS if self.compare else _TIME_ITEMS[1:]:
            found = item(words, i)
            if found is not None:
                return found
        if self.place == "none":
            return None
        return _located(words, i) or (_scope(words, i) if self.place == "bare" else None)

    def _complete(self, values: Values) -> bool:
        return all(
            any(slot in values for slot in _SCOPE_SLOTS) if required == "place" else required in values
            for required in self.require
        )


_METRIC_PHRASES = {tuple(name.split()): metric for name, metric in vocab.METRIC_WORDS.items()}
_LONGEST_METRIC = max(len(phrase) for phrase in _METRIC_PHRASES)
METRIC_STARTS = frozenset(phrase[0] for phrase in _METRIC_PHRASES)  # a text without one names no metric


def read_metric(inp: Input, start: int) -> Yield:
    """A metric by any of its names ("cpu", "p99 latency", "inbound traffic"), shortest first."""
    if start >= len(inp.words) or inp.words[start] not in METRIC_STARTS:
        return
    for end in range(start + 1, min(len(inp.words), start + _LONGEST_METRIC) + 1):
        metric = _METRIC_PHRASES.get(inp.words[start:end])
        if metric is not None:
            yield end, {"metric": metric}


def read_watch_length(inp: Input, start: int) -> Yield:
    """How long a watch runs: "for 10 min", "for the next half hour", "15 minutes". Read as said (up to the
    parser's 7 days): the answer caps a watch and says so, which it could not if the words were capped here."""
    words = inp.words
    at = start + 1 if start < len(words) and words[start] in ("for", "over", "during") else start
    at += 1 if at < len(words) and words[at] == "the" else 0
    at += 1 if at < len(words) and words[at] == "next" else 0
    if at < len(words) and at > start and words[at] in _UNIT_WORDS:  # "for the next hour"
        yield at + 1, {"duration_seconds": UNIT_SECONDS[words[at]]}
    for end, seconds in read_duration(words, at):
        yield end, {"duration_seconds": seconds}


def read_metric_kind(inp: Input, start: int) -> Yield:
    """What a top list ranks: "instances", "databases", "nodes" (any machine word is an instance)."""
    kind = vocab.read_kind(inp.words, start)
    if kind is not None:
        yield kind[1], {"kind": kind[0]}
    elif start < len(inp.words) and inp.words[start] in _MACHINES:
        yield start + 1, {"kind": "instance"}


METRIC_READERS: Mapping[str, Reader] = {
    "metric": read_metric,
    "metric_tail": Tail("located"),  # after a name
    "metric_scope": Tail("bare", require=("place",)),  # the place itself: "cpu of prod on aws last 6h"
    "metric_range": Tail("bare"),  # after a top list
    "compare_tail": Tail("located", require=("compare",)),
    "compare_scope": Tail("bare", require=("place", "compare")),
    "range_tail": Tail("located", compare=False),  # "compare cpu of web-prod [last 6h]": with last week
    "range_scope": Tail("bare", require=("place",), compare=False),
    "watch_length": read_watch_length,
    "metric_kind": read_metric_kind,
}
