"""A tiny pattern language for commands, and its matcher.

    scale {target} to {count} [<units>]     literal words, (a|b c) alternatives, [optional], <macro>, {slot}

Literals match whole words; slots are read by `intents.slots.READERS`, which yield their readings shortest
first, so "scale web prod two to twenty" finds target "web prod two" before the literal "to". A match must use
every word; the parser alone decides when words may be skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.models import IntentName
from intents.reading import Input, Values
from intents.slots import READERS

MACROS: Mapping[str, str] = {
    "units": (
        "instances|instance|nodes|node|servers|server|vms|vm|machines|machine|replicas|replica|hosts|host"
        "|boxes|box|copies|workers|worker|pods|pod|units|unit"
    ),
    "extra": "more|extra|additional|new|further",
    "size": "size|capacity|count|instances|instance count|replicas|nodes|node count|desired capacity|desired count",
    "alerts": "alerts|alert|alarms|alarm|incidents|incident|pages|page",
    "alert": "alert|alarm|incident|page|number|no|num|id",
    "cost": "cost|costs|spend|spending|bill|billing|charges|expenses|budget|money",
    "doing": "doing|going|looking|holding up|today|right now|at the moment",
    "fine": "ok|okay|up|healthy|fine|alright|all right|good|working|down|broken|alive|on fire|happy",
}

_PART = re.compile(r"\(([^)]*)\)|\[([^\]]*)\]|<(\w+)>|\{(\w+)\}|(\S+)")


@dataclass(frozen=True)
class Words:
    options: tuple[tuple[str, ...], ...]  # longest first, so "fail over" is tried before "fail"
    optional: bool = False


@dataclass(frozen=True)
class Slot:
    name: str
    optional: bool = False


Element = Words | Slot


@dataclass(frozen=True)
class Rule:
    intent: IntentName
    elements: tuple[Element, ...]
    confidence: float = 0.97
    fixed: Mapping[str, object] = field(default_factory=dict)  # slot values the words imply ("add an instance")
    strict: bool = False  # never matched with skipped or corrected words (confirmations)
    # The words around {target} do not say it is a resource ("what is love"): it must look like a name.
    loose: bool = False
    # For each required literal, the words it can start with: a text that has none of one cannot match.
    needs: tuple[frozenset[str], ...] = ()

    def may_match(self, words: frozenset[str]) -> bool:
        """A cheap test before matching: every required literal has a word of the text to start on. (A loop: it
        runs for most rules on every text, and a generator costs more than the test.)"""
        for need in self.needs:  # noqa: SIM110 - see above
            if need.isdisjoint(words):
                return False
        return True

    @property
    def first_words(self) -> frozenset[str] | None:
        """Words a matching text can start with; None when it can start with anything (a slot comes first)."""
        first = self.elements[0]
        if isinstance(first, Words) and not first.optional:
            return frozenset(option[0] for option in first.options)
        return None


def rule(
    intent: IntentName,
    pattern: str,
    confidence: float = 0.97,
    *,
    strict: bool = False,
    loose: bool = False,
    **fixed: object,
) -> Rule:
    """One rule: `pattern` read as `intent`, `fixed` the slot values its words imply."""
    elements = compile_pattern(pattern)
    needs = tuple(
        frozenset(option[0] for option in e.options) for e in elements if isinstance(e, Words) and not e.optional
    )
    return Rule(intent, elements, confidence, dict(fixed), strict, loose, needs)


def rules(
    intent: IntentName,
    *patterns: str,
    confidence: float = 0.97,
    strict: bool = False,
    loose: bool = False,
    **fixed: object,
) -> list[Rule]:
    """A run of the grammar's table: one rule per pattern, in order, all read as `intent` with the same options."""
    return [rule(intent, pattern, confidence, strict=strict, loose=loose, **fixed) for pattern in patterns]


def compile_pattern(pattern: str) -> tuple[Element, ...]:
    elements: list[Element] = []
    for group, optional_group, macro, slot, word in _PART.findall(pattern):
        if slot:
            elements.append(_slot(slot, optional=False))
        elif word:
            elements.append(Words(((word,),)))
        elif macro:
            elements.append(_words(MACROS[macro], optional=False))
        elif group:
            elements.append(_words(group, optional=False))
        else:
            inner = optional_group.strip()
            if inner.startswith("{") and inner.endswith("}"):
                elements.append(_slot(inner[1:-1], optional=True))
            elif inner.startswith("<") and inner.endswith(">"):
                elements.append(_words(MACROS[inner[1:-1]], optional=True))
            else:
                elements.append(_words(inner, optional=True))
    if not elements:
        raise ValueError(f"empty pattern: {pattern!r}")
    return tuple(elements)


def _slot(name: str, *, optional: bool) -> Slot:
    if name not in READERS:
        raise ValueError(f"unknown slot {{{name}}}")
    return Slot(name, optional)


def _words(alternatives: str, *, optional: bool) -> Words:
    expanded: list[str] = []
    for option in alternatives.split("|"):
        name = option.strip()
        if name.startswith("<") and name.endswith(">"):  # a macro among alternatives: "[<cost>|forecast]"
            expanded.extend(MACROS[name[1:-1]].split("|"))
        else:
            expanded.append(option)
    options = {tuple(option.split()) for option in expanded if option.strip()}
    return Words(tuple(sorted(options, key=lambda o: (-len(o), o))), optional)


def match(elements: tuple[Element, ...], inp: Input) -> Values | None:
    """Slot values when `elements` read all of `inp`, else None."""
    return _step(elements, 0, inp, 0, {})


def _step(elements: tuple[Element, ...], k: int, inp: Input, pos: int, values: Values) -> Values | None:
    if k == len(elements):
        return values if pos == len(inp.words) else None
    element = elements[k]
    if isinstance(element, Words):
        for option in element.options:
            end = pos + len(option)
            if inp.words[pos:end] == option:
                found = _step(elements, k + 1, inp, end, values)
                if found is not None:
                    return found
    elif pos < len(inp.words):
        for end, read in READERS[element.name](inp, pos):
            merged = _merge(values, read)
            if merged is not None:
                found = _step(elements, k + 1, inp, end, merged)
                if found is not None:
                    return found
    if element.optional:
        return _step(elements, k + 1, inp, pos, values)
    return None


def _merge(values: Values, read: Values) -> Values | None:
    if not values:
        return read
    merged = dict(values)
    for key, value in read.items():
        if merged.setdefault(key, value) != value:
            return None
    return merged
