"""Text -> Intent. Each pass runs only when the ones before found nothing:

1. exact: a rule of the grammar reads every word;
2. corrected: the first word, unknown to the language, is a typo of a word that asks ("stauts" -> status,
   "serach" -> search) (tried before 1 for such a word, so the typo is not read as part of a resource name).
   Typing can be sloppy, acting cannot: a typo never becomes a change, an act on an alert or the pager, or
   the bot's own timings ("restrat db-prod" is not understood, and says so);
3. lenient: up to three words skipped, at most two unknown ones at the start, any at the end. Words
   skipped at the start never leave a bare resource name to show ("rollbak web-prod" is not "show web-prod").

Confidence starts at the rule's own (0.97 for a clean phrasing) and drops for each guess or skipped word;
below 0.5 the text is `unknown`. Confirmations are never guessed, and a change, or an act on an alert or the
pager, is never guessed from words before its verb or past a word that could reverse it ("restart db-prod, no
wait", "did someone escalate 42")."""

from __future__ import annotations

from typing import NamedTuple

from pydantic import ValidationError
from rapidfuzz import fuzz, process

from core.models import CHANGING_INTENTS, Intent, IntentName, Slots
from core.models import IntentName as I
from intents import vocab
from intents.grammar import FIRST_WORDS, keywords, rules_for
from intents.help import topic_of
from intents.mood import Mood, mood, names_nothing
from intents.patterns import Rule, match
from intents.reading import Input, Values
from intents.text import MAX_CHARS, Prepared, prepare

UNKNOWN_CONFIDENCE = 0.2
MIN_CONFIDENCE = 0.5  # below this a reading is a guess, and we say we did not understand
_SKIP_PENALTY = 0.12
_MAX_SKIPPED = 3
_MAX_LEADING_SKIP = 2
_TYPO_CUTOFF = 80.0
_KNOWN = frozenset(FIRST_WORDS)
# Words of the language that are not command words: never "corrected" into one ("monthly" is not "month").
_VOCABULARY = keywords() | vocab.words()
# A guessed change must not have dropped a word that reverses it ("restart db-prod, no wait").
_REVERSING = frozenset({"no", "not", "never", "wait", "cancel", "abort", "stop", "hold", "dont", "without", "undo"})
# Guessed as carefully as changes: each one does something (pages a person, mutes an alert, takes the pager).
_ACTS = CHANGING_INTENTS | {
    IntentName.ACK,
    IntentName.RESOLVE,
    IntentName.SILENCE,
    IntentName.ESCALATE,
    IntentName.TAKE_ONCALL,
}
# Words a typo may be corrected to: the first words of questions only ("stats" is perf, "start" a change).
_ASKING = frozenset({I.STATUS, I.SEARCH, I.SHOW, I.COST, I.FORECAST, I.ALERTS, I.ONCALL, I.HELP, I.NOT_YET, I.MORE})
_OWN_RULES = {w: [r for r in rules_for(w, slot_first=False) if r.first_words and not r.strict] for w in FIRST_WORDS}
_ACT_WORDS = tuple(w for w, own in _OWN_RULES.items() if w.isalpha() and any(r.intent in _ACTS for r in own))
_CORRECTABLE = tuple(
    w for w, own in _OWN_RULES.items() if w not in _ACT_WORDS and any(r.intent in _ASKING for r in own)
)
_ASKS_HOW = frozenset({"scale", "restart", "emergency", "shutdown", "failover", "search", "show", "confirm"})


class _Reading(NamedTuple):
    rule: Rule
    values: Values
    penalty: float
    start: int = 0  # the words the rule read: inp.words[start:end]
    end: int | None = None


def parse(text: str) -> Intent:
    """The intent of `text`. Never raises; reads a bounded prefix of any input."""
    shown = text.strip()[:MAX_CHARS]
    if shown and not shown.strip("?¿ "):
        return Intent(name=IntentName.HELP, confidence=0.97, text=shown)
    prepared = prepare(text)
    tokens = prepared.tokens
    if prepared.too_long or not tokens:
        return _unknown(shown, 0.05 if prepared.too_long else 0.0)
    inp = Input(tuple(t.word for t in tokens), tuple(t.raw for t in tokens))

    topic = topic_of(inp.words[0]) if prepared.question and len(inp.words) == 1 else None
    if topic in _ASKS_HOW:  # "scale?" asks how to scale; "status?" asks for the status
        return Intent(name=IntentName.HELP, slots=Slots(topic=topic), confidence=0.9, text=shown)

    first = inp.words[0]
    if first.isalpha() and first not in _VOCABULARY:
        # a typo of a command word beats reading the typo as part of a resource name ("scael web-prod to 20")
        act = _misspelt_act(first)
        if act is not None:  # "restrat db-prod", "scael web-prod to 20": not guessed, not a name either
            return Intent(
                name=IntentName.UNKNOWN, slots=_suggestion(act, inp), confidence=UNKNOWN_CONFIDENCE, text=shown
            )
        reading = _corrected(inp, lenient=False) or _exact(inp) or _corrected(inp, lenient=True) or _lenient(inp)
    else:
        reading = _exact(inp) or _lenient(inp)
    if reading is None or not _said_as_meant(reading, prepared, inp):
        return _unknown(shown, UNKNOWN_CONFIDENCE)
    confidence = round(reading.rule.confidence - reading.penalty, 3)
    if confidence < MIN_CONFIDENCE:
        return _unknown(shown, max(0.05, min(confidence, MIN_CONFIDENCE - 0.05)))
    try:
        slots = Slots.model_validate({**reading.values, **reading.rule.fixed})
    except ValidationError:  # a reader produced a value the model refuses: treat as not understood
        return _unknown(shown, UNKNOWN_CONFIDENCE)
    return Intent(name=reading.rule.intent, slots=slots, confidence=confidence, text=shown)


def _said_as_meant(reading: _Reading, prepared: Prepared, inp: Input) -> bool:
    """A change only as an order, naming its resource with something that can be a name."""
    if reading.rule.intent not in CHANGING_INTENTS:
        return True
    for slot in ("target", "destination"):
        phrase = reading.values.get(slot)
        if isinstance(phrase, str) and names_nothing(phrase):
            return False
    end = len(inp.words) if reading.end is None else reading.end
    ends = tuple(t.ends_clause for t in prepared.tokens)
    said = mood(inp.words, ends, reading.start, end, question=prepared.question, request=prepared.request)
    return said is Mood.ORDER


def _unknown(text: str, confidence: float) -> Intent:
    return Intent(name=IntentName.UNKNOWN, confidence=confidence, text=text)


def _first_match(inp: Input, rules: tuple[Rule, ...], *, guessing: bool) -> tuple[Rule, Values] | None:
    words = frozenset(inp.words)
    for candidate in rules:
        if (guessing and candidate.strict) or not candidate.may_match(words):
            continue
        values = match(candidate.elements, inp)
        if values is not None:
            return candidate, values
    return None


def _exact(inp: Input) -> _Reading | None:
    found = _first_match(inp, rules_for(inp.words[0]), guessing=False)
    return _Reading(found[0], found[1], 0.0) if found else None


def _closest(word: str, choices: tuple[str, ...]) -> tuple[str, float] | None:
    if len(word) < 4:
        return None
    best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF)
    return (best[0], best[1]) if best else None


def _misspelt_act(word: str) -> str | None:
    """The verb that acts which `word` is a typo of, when it is at least as close to it as to any word that asks
    ("strat": start or state? neither is guessed). Four letters are too few to tell a typo of a verb that acts
    ("stat" is a "start" with one letter less, and a "state" too)."""
    if len(word) <= 4:
        return None
    act = _closest(word, _ACT_WORDS)
    if act is None:
        return None
    asking = _closest(word, _CORRECTABLE)
    return act[0] if asking is None or act[1] >= asking[1] else None


def _suggestion(act: str, inp: Input) -> Slots:
    """The command a misspelt verb would make, to show (never run): "restart db-prod" for "restrat db-prod"."""
    fixed = Input((act, *inp.words[1:]), (act, *inp.raws[1:]))
    found = _first_match(fixed, rules_for(act), guessing=True)
    return Slots(topic=" ".join(fixed.raws)) if found and found[0].intent in _ACTS else Slots()


def _corrected(inp: Input, *, lenient: bool) -> _Reading | None:
    """Retries with the first word replaced by the asking word it most resembles ("stauts" -> "status")."""
    best = _closest(inp.words[0], _CORRECTABLE)
    if best is None:
        return None
    word, score = best
    fixed = Input((word, *inp.words[1:]), inp.raws)
    penalty = 0.05 + (100.0 - score) / 100.0
    if not lenient:
        found = _first_match(fixed, rules_for(word), guessing=True)
        return _Reading(found[0], found[1], penalty) if found else None
    reading = _lenient(fixed)
    return reading._replace(penalty=reading.penalty + penalty) if reading else None


def _lenient(inp: Input) -> _Reading | None:
    """The reading that skips the fewest words: unknown words at the start, any words at the end."""
    n = len(inp.words)
    for skipped in range(1, _MAX_SKIPPED + 1):
        for lead in range(min(skipped, _MAX_LEADING_SKIP) + 1):
            end = n - (skipped - lead)
            if end <= lead or any(w in _KNOWN for w in inp.words[:lead]):
                continue
            part = Input(inp.words[lead:end], inp.raws[lead:end])
            if lead and part.words[0] not in _KNOWN:  # "rollbak web-prod" is not a bare name to show
                continue
            rules = rules_for(part.words[0], slot_first=part.words[0] not in _KNOWN)
            found = _first_match(part, rules, guessing=True)
            if found and _safe_to_drop(found[0].intent, inp.words[end:], lead):
                return _Reading(found[0], found[1], _SKIP_PENALTY * skipped, lead, end)
    return None


def _safe_to_drop(intent: IntentName, trailing: tuple[str, ...], lead: int) -> bool:
    """An act is guessed only from its own first word on ("did someone restart db-prod" asks, it does not
    command), and only when the words dropped after it cannot reverse it. A silence or taking the pager drops
    nothing after it: those words may have been its length or its period ("silence 42 until tomorrow" is not
    "silence 42" for the default, "i'll take the pager next weekend" is not tonight)."""
    if intent not in _ACTS:
        return True
    if intent in (IntentName.SILENCE, IntentName.TAKE_ONCALL) and trailing:
        return False
    return lead == 0 and _REVERSING.isdisjoint(trailing)
