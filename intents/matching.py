"""Matching a rule to words, and whether what its slots read can be what they stand for."""

from __future__ import annotations

from typing import NamedTuple

from core.models import CHANGING_INTENTS, IntentName
from intents import vocab
from intents.grammar import rules_for
from intents.help import topic_of
from intents.mood import names_nothing
from intents.numbers import NUMBER_WORDS
from intents.patterns import Rule, match
from intents.reading import Input, Values

# Guessed as carefully as changes: each one does something (pages a person, mutes an alert, takes the pager).
ACTS = CHANGING_INTENTS | {
    IntentName.ACK,
    IntentName.RESOLVE,
    IntentName.SILENCE,
    IntentName.ESCALATE,
    IntentName.TAKE_ONCALL,
    IntentName.PAUSE_DEPLOY,
    IntentName.RESUME_DEPLOY,
    IntentName.CANCEL_DEPLOY,
    IntentName.PAUSE_RUNBOOK,
    IntentName.RESUME_RUNBOOK,
    IntentName.ABORT_RUNBOOK,
    IntentName.DECLARE,  # opens a channel and pages people
    IntentName.RESOLVE_INCIDENT,
}
_RELEASES = frozenset({IntentName.DEPLOY, IntentName.ROLLBACK})
# Words no resource to change is named with: "scale web-prod cpu to 20" sets no size (a CPU target? a machine
# type?), "stop watching web-prod" stops no machine. Such a text is not understood, and says so.
_MEASURING = frozenset(
    {"cpu", "cpus", "memory", "mem", "ram", "latency", "latencies", "p99", "p50", "errors", "5xx", "rps", "qps"}
    | {"throughput", "utilisation", "utilization", "watching", "monitoring"}
    | {"budget", "budgets"}  # "set budget prod to 0" is no size of a "budget prod"
)
_MEASURED = frozenset({IntentName.METRIC, IntentName.WATCH})
_METRIC_NAMES = frozenset(name for name in vocab.METRIC_WORDS if " " not in name)  # "what's the p99 latency"
_RANGE_WORDS = frozenset({"since", "last", "past", "ago", "today", "yesterday", "vs", "versus", "compared", "until"})
# Words that point at a resource named in another clause.
POINTING = frozenset({"it", "them", "that", "this", "those"})


class Reading(NamedTuple):
    rule: Rule
    values: Values
    penalty: float
    start: int = 0  # the words the rule read: inp.words[start:end]
    end: int | None = None


def first_match(inp: Input, rules: tuple[Rule, ...], *, guessing: bool) -> tuple[Rule, Values] | None:
    words = frozenset(inp.words)
    for candidate in rules:
        if (guessing and candidate.strict) or not candidate.may_match(words):
            continue
        values = match(candidate.elements, inp)
        if values is not None and fits(candidate, values):
            return candidate, values
    return None


def fits(rule: Rule, values: Values) -> bool:
    """Whether what a rule's slots read can be what they stand for: a change's resource must look like a name
    ("restart loop on web-staging" restarts no "loop"), and so must a loose rule's ("what is love"), the free
    text of a search it reads ("is slack down") and a help topic asked about ("how do you spell kubernetes")."""
    target = values.get("target")
    changing = rule.intent in CHANGING_INTENTS
    if changing and isinstance(target, str) and not _MEASURING.isdisjoint(target.lower().split()):
        return False
    if rule.intent in _MEASURED and isinstance(target, str) and not _measurable(target):
        return False
    judged = rule.loose or changing
    named = not isinstance(target, str) or target in POINTING or looks_named(target)
    if judged and not named and not _a_service(rule, values, str(target)):
        return False
    slot_first_change = rule.first_words is None and changing
    if slot_first_change and isinstance(target, str) and not all_named(target):
        return False  # no verb says it is a change: every word must be the name's ("downsize web-prod to 1")
    destination = values.get("destination")
    if isinstance(destination, str) and (names_nothing(destination) or not vocab.looks_like_name(destination)):
        return False  # "switch to decaf", "fail over to lunch"
    if rule.loose:
        query = values.get("query")
        if isinstance(query, str) and not all(vocab.looks_like_name(word) for word in query.split()):
            return False
        topic = values.get("topic")
        if isinstance(topic, str) and topic_of(topic) is None:
            return False
    return True


def _a_service(rule: Rule, values: Values, target: str) -> bool:
    """A service may be called anything ("shop"): one word is its name when a version or an environment said with
    it makes the text a release ("deploy shop v3.1 to prod")."""
    named_with = "version" in values or "environment" in values
    return rule.intent in _RELEASES and named_with and len(target.split()) == 1 and not names_nothing(target)


def _measurable(target: str) -> bool:
    """A name to read a metric of: not a number ("web-prod cpu to 20"), nor a name run into the range after it
    ("errors on web-prod since ...") or into a metric's name."""
    words = target.lower().split()
    return any(c.isalpha() for c in target) and _RANGE_WORDS.isdisjoint(words) and _METRIC_NAMES.isdisjoint(words)


def exact(inp: Input) -> Reading | None:
    found = first_match(inp, rules_for(inp.words[0]), guessing=False)
    return Reading(found[0], found[1], 0.0) if found else None


def all_named(phrase: str) -> bool:
    return all(looks_named(word) or word in NUMBER_WORDS for word in phrase.lower().split())


def looks_named(phrase: str) -> bool:
    return not names_nothing(phrase) and vocab.looks_like_name(phrase)
