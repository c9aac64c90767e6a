"""The on-call chat corpus (docs/corpus.md): lines people type, each with the intent and slots it must be read as.
`load("tune")` or `load("held_out")` gives a split's entries, typed and checked."""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import Field

from core.models import Frozen, IntentName

NOT_A_CHANGE = "not_a_change"  # any intent except the changing ones

Split = Literal["tune", "held_out"]
SPLITS: tuple[Split, ...] = ("tune", "held_out")


class Category(StrEnum):
    COMMAND = "command"
    OFF_TOPIC = "off_topic"
    NEVER_CHANGE = "never_change"


# Lines that must never be read as a change, whatever else they are read as.
SAFETY_CATEGORIES = frozenset({Category.OFF_TOPIC, Category.NEVER_CHANGE})


class ExpectedSlots(Frozen):
    """The slots worth checking; one left out (None) is not checked."""

    target: str | None = None
    count: int | None = None
    delta: int | None = None
    alert_id: int | None = None
    provider: str | None = None
    environment: str | None = None
    region: str | None = None
    period: str | None = None
    destination: str | None = None
    state: str | None = None
    kind: str | None = None
    group_by: str | None = None
    duration_seconds: int | None = None
    metric: str | None = None
    since: str | None = None
    compare: str | None = None
    day: str | None = None
    month: str | None = None
    amount: float | None = None
    budget_scope: str | None = None
    version: str | None = None  # as typed ("v2.4", "2.4"), or the digits of a spoken one ("two point four": "2.4")
    reason: str | None = None
    incident_id: int | None = None
    severity: str | None = None
    note: str | None = None  # as typed, the words after the command ("db replica lagging")

    def given(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True)


class Entry(Frozen):
    text: str = Field(min_length=1)
    expect: IntentName | Literal["not_a_change"]
    category: Category
    slots: ExpectedSlots = Field(default_factory=ExpectedSlots)


class _CorpusFile(Frozen):
    split: Split
    entries: tuple[Entry, ...]


@cache
def load(split: Split) -> tuple[Entry, ...]:
    """A split's entries, in file order. Raises pydantic's ValidationError on a malformed entry."""
    text = resources.files(__package__).joinpath(f"{split}.yaml").read_text(encoding="utf-8")
    corpus = _CorpusFile.model_validate(yaml.safe_load(text))
    if corpus.split != split:
        raise ValueError(f"{split}.yaml says it is the {corpus.split} split")
    return corpus.entries
