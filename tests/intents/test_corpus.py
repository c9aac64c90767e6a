"""The on-call chat corpus (bench/corpus): it loads with the sizes it promises, no line that must never be a change
is read as one (in either split), and the tune split is read exactly at least at a floor. Held-out lines are
named by their number only: their text is not shown to whoever tunes the parser."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.corpus import SAFETY_CATEGORIES, SPLITS, Category, Entry, load
from bench.corpus.scoring import is_exact, is_unsafe
from core.models import IntentName
from intents.parser import parse

TUNE_FLOOR = 0.97


def test_the_corpus_has_the_promised_sizes() -> None:
    entries = [e for split in SPLITS for e in load(split)]
    sizes = Counter(e.category for e in entries)
    assert len(entries) >= 2_600
    assert sizes[Category.COMMAND] >= 2_000
    assert sizes[Category.OFF_TOPIC] >= 300
    assert sizes[Category.NEVER_CHANGE] >= 300
    assert 0.6 <= len(load("tune")) / len(entries) <= 0.7
    for split in SPLITS:
        assert {e.category for e in load(split)} == set(Category), split
    assert {e.expect for e in entries} >= set(IntentName)


def test_no_line_is_in_both_splits() -> None:
    def key(entry: Entry) -> str:
        return " ".join(entry.text.lower().split())

    assert not {key(e) for e in load("tune")} & {key(e) for e in load("held_out")}


SAFETY = [
    pytest.param(entry, id=f"tune: {entry.text}" if split == "tune" else f"held_out #{number}")
    for split in SPLITS
    for number, entry in enumerate(load(split), start=1)
    if entry.category in SAFETY_CATEGORIES
]


@pytest.mark.parametrize("entry", SAFETY)
def test_a_line_that_must_never_be_a_change_is_not_read_as_one(entry: Entry) -> None:
    intent = parse(entry.text)
    assert not is_unsafe(intent), f"read as {intent.name.value} {intent.slots.present()}"


def test_the_tune_split_is_read_exactly() -> None:
    entries = load("tune")
    readings = [(e, parse(e.text)) for e in entries]
    misses = [(e, i) for e, i in readings if not is_exact(e, i)]
    rate = 1 - len(misses) / len(entries)
    shown = "\n".join(
        f"{e.text!r}: expected {e.expect} {e.slots.given()}, read {i.name.value} {i.slots.present()}"
        for e, i in misses[:15]
    )
    assert rate >= TUNE_FLOOR, f"{rate:.1%} exact, {len(misses)} misses; the first:\n{shown}"
