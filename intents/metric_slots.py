"""Slot readers of metrics questions: the metric by any of its names, what a question says after its subject (the
range, a comparison, a place: `Tail`), what a top list ranks ("top 5 instances") and how long a watch runs ("for
10 min"). Each yields its readings shortest first, as every reader does."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from intents import vocab
from intents.durations import UNIT_SECONDS, read_duration
from intents.metric_ranges import TIME_ITEMS, Item
from intents.reading import Input, Reader, Values, Yield

_UNIT_WORDS = frozenset({"minute", "hour", "day"})
_LOCATORS = frozenset({"in", "on", "at", "from", "across", "for"})
_SCOPE_ITEMS: tuple[Callable[[Sequence[str], int], tuple[object, int] | None], ...] = (
    vocab.read_provider,
    vocab.read_region,
    vocab.read_environment,
)
_SCOPE_SLOTS = ("provider", "region", "environment")
# Machine words that are no kind of their own ("nodes", "pods"): what a top list of them ranks is instances.
_MACHINES = frozenset({"nodes", "node", "pods", "pod", "replicas", "replica", "workers", "worker", "units", "unit"})


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


@dataclass(frozen=True)
class Tail:
    """A bag of what a metrics question says after its subject, in any order. `place`: whether a place may be
    said bare ("top 5 by cpu prod aws") or only after a locator (after a name: "cpu of web-prod on aws");
    `require`: the slots (or "place") that must be read."""

    place: Literal["bare", "located"]
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
        for item in TIME_ITEMS if self.compare else TIME_ITEMS[1:]:
            found = item(words, i)
            if found is not None:
                return found
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
