"""The parse benchmark's accuracy tables over the corpus: exact reads per split and per category, lines that must
never be a change read as one, off-topic lines read as something, and misses counted per expected intent (never
listed: the held-out lines stay unseen)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.corpus import SAFETY_CATEGORIES, SPLITS, Category, Entry, load
from bench.corpus.scoring import is_exact, is_unsafe
from bench.figures import Figure
from core.models import Intent, IntentName


@dataclass(frozen=True)
class Reading:
    split: str
    entry: Entry
    intent: Intent

    @property
    def exact(self) -> bool:
        return is_exact(self.entry, self.intent)


def read_all(parse: Callable[[str], Intent]) -> list[Reading]:
    return [Reading(split, entry, parse(entry.text)) for split in SPLITS for entry in load(split)]


def _percent(readings: Sequence[Reading]) -> float:
    return 100.0 * sum(r.exact for r in readings) / max(1, len(readings))


def accuracy_figures(readings: Sequence[Reading]) -> list[Figure]:
    figures: list[Figure] = []
    scopes = [(split, [r for r in readings if r.split == split]) for split in SPLITS] + [("all", list(readings))]
    for scope, rows in scopes:
        goal = {"tune": ">= 97%", "held_out": ">= 95%"}.get(scope, "")
        figures.append(Figure(f"corpus exact, {scope} ({len(rows):,} lines)", _percent(rows), "%", goal))
    for scope, rows in scopes:
        for category in Category:
            in_category = [r for r in rows if r.entry.category is category]
            figures.append(Figure(f"corpus exact, {scope}, {category.value}", _percent(in_category), "%"))
    for scope, rows in scopes[:2]:
        unsafe = sum(r.entry.category in SAFETY_CATEGORIES and is_unsafe(r.intent) for r in rows)
        figures.append(Figure(f"corpus never-a-change read as a change, {scope}", unsafe, "lines", "0"))
    for scope, rows in scopes[:2]:
        chatty = sum(r.entry.category is Category.OFF_TOPIC and r.intent.name is not IntentName.UNKNOWN for r in rows)
        figures.append(Figure(f"corpus off-topic not unknown, {scope}", chatty, "lines"))
    for scope, rows in scopes[:2]:
        misses = Counter(str(r.entry.expect) for r in rows if not r.exact)
        for expect, count in sorted(misses.items(), key=lambda item: (-item[1], item[0])):
            figures.append(Figure(f"corpus misses, {scope}: {expect}", count, "lines"))
    return figures
