"""Text -> Intent. Each pass runs only when the ones before found nothing:

1. exact: a rule of the grammar reads every word;
2. corrected: the first word, unknown to the language, is a typo of a word that asks ("stauts" -> status);
   a typo never becomes a change, an act on an alert or the pager ("restrat db-prod" is not understood, and
   says so), and a word of four letters is never taken for a verb that acts ("stat web-prod" is no start);
3. lenient: up to three words skipped (at most two unknown ones at the start), or a remark after the command
   ("hard reboot db-prod ssh is dead");
4. one clause: for text in several clauses, the best reading of one of them ("db-prod is stuck again, please
   restart it"), "it" taking the name from another clause.

Words after the first that are plain slips ("instnaces", "teh") are read as the word meant; the raw text,
and so a resource name as typed, is kept.

Safety by construction: a change (CHANGING_INTENTS) needs the imperative of its verb with its object, judged
on the whole text by `intents.mood`: negated ("don't restart db-prod"), asked ("can we restart db-prod?",
"should i ..."; "can you restart db-prod?" is a request), reported ("bob restarted web-prod"), supposed ("if
web-prod dies we fail over", "... later") or interjected ("stop! web-prod is fine", "stop db-prod from
scaling") it is no change - the text is read as something else or not understood. Its resource must look like
a name (a hyphen or digit, a role like "web" or "db", an environment), a guess never drops a number said for
it or words that take it back ("..., no wait"), and it is never guessed from words before its verb.

Confidence starts at the rule's own (0.97 for a clean phrasing) and drops for each guess or skipped word;
below 0.5 the text is `unknown`. Confirmations are never guessed."""

from __future__ import annotations

from typing import NamedTuple

from pydantic import ValidationError
from rapidfuzz import fuzz, process

from core.models import CHANGING_INTENTS, Intent, IntentName, Slots
from core.models import IntentName as I
from intents import vocab
from intents.filters import STOP_WORDS
from intents.grammar import FIRST_WORDS, keywords, rules_for
from intents.help import topic_of
from intents.mood import CHANGE_VERBS, MARKERS, Mood, mood, names_nothing
from intents.numbers import NUMBER_WORDS, read_number
from intents.patterns import MACROS, Rule, match
from intents.reading import Input, Values
from intents.text import MAX_CHARS, Prepared, clauses, filler_bounds, prepare

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
_ACT_WORD_SET = frozenset(_ACT_WORDS)
_CORRECTABLE = tuple(
    w
    for w, own in _OWN_RULES.items()
    if len(w) >= 4 and w not in _ACT_WORDS and any(r.intent in _ASKING for r in own)  # "long" is no "log"
)
# A guess never ends on one of these: the words dropped after it were what it was about.
_DANGLING = frozenset(
    {"the", "a", "an", "my", "our", "your", "this", "that", "is", "are", "was", "of", "to", "for", "in", "on", "at"}
    | {"with", "about", "how", "what", "who", "where", "and", "or", "some", "any", "me", "you"}
)
# Words that open a remark after a command ("... it's hung", "... nobody is testing tonight", "... for the rush").
_OPENS_CLAUSE = frozenset(
    {"it", "its", "we", "i", "nobody", "somebody", "someone", "everyone", "they", "he", "she", "because", "since"}
    | {"as", "cause", "cuz", "coz", "while", "so", "now", "for", "to", "the", "this", "that", "there", "our", "my"}
    | {"users", "customers", "traffic", "latency", "ssh", "qa", "health", "load", "cpu", "memory", "disk", "errors"}
)
# Verbs of a remark: the word before one is its subject, not the end of a resource name.
_REMARK_VERBS = frozenset({"is", "are", "was", "were", "keeps", "keep", "has", "have", "needs", "looks", "seems"})
# What a slip after the first word may be corrected to: the words of the language that do not act.
_SLIP_TARGETS = tuple(
    sorted(
        {w for w in MACROS["units"].split("|") + list(vocab.KINDS) + list(vocab.STATES) if w.isalpha() and len(w) >= 4}
        | {"capacity", "traffic", "details", "overview", "summary", "status", "health", "staging", "production"}
        | {"replicas", "alerts", "incident", "incidents", "weekend", "tonight", "instances", "forecast", "region"}
    )
)
# Verbs that start another command: words dropped after a guess never hold one ("go to dr now, move api-prod").
_COMMAND_VERBS = CHANGE_VERBS | {
    "ack",
    "acknowledge",
    "resolve",
    "close",
    "silence",
    "mute",
    "escalate",
    "move",
    "fail",
}
_NOT_SLIPS = _VOCABULARY | NUMBER_WORDS | vocab.ROLES | STOP_WORDS | MARKERS
# Words that point at a resource named in another clause.
_POINTING = frozenset({"it", "them", "that", "this", "those"})
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
    inp = Input(tuple(_unslipped(t.word) if i else t.word for i, t in enumerate(tokens)), tuple(t.raw for t in tokens))

    topic = topic_of(inp.words[0]) if prepared.question and len(inp.words) == 1 else None
    if topic in _ASKS_HOW:  # "scale?" asks how to scale; "status?" asks for the status
        return Intent(name=IntentName.HELP, slots=Slots(topic=topic), confidence=0.9, text=shown)

    first = inp.words[0]
    if first.isalpha() and first not in _VOCABULARY:
        act = _misspelt_act(first)
        if act is not None:  # "restrat db-prod", "scael web-prod to 20": not guessed, not a name either
            return Intent(
                name=IntentName.UNKNOWN, slots=_suggestion(act, inp), confidence=UNKNOWN_CONFIDENCE, text=shown
            )
    reading = _understood(inp, prepared, 0, len(inp.words)) or _one_clause(inp, prepared)
    if reading is None:
        return _unknown(shown, UNKNOWN_CONFIDENCE)
    try:
        slots = Slots.model_validate({**reading.values, **reading.rule.fixed})
    except ValidationError:  # a reader produced a value the model refuses: treat as not understood
        return _unknown(shown, UNKNOWN_CONFIDENCE)
    confidence = round(reading.rule.confidence - reading.penalty, 3)
    return Intent(name=reading.rule.intent, slots=slots, confidence=confidence, text=shown)


def _read(inp: Input) -> _Reading | None:
    first = inp.words[0]
    if first.isalpha() and first not in _VOCABULARY:
        # a typo of a command word beats reading the typo as part of a resource name ("stauts of prod")
        if _misspelt_act(first) is not None:
            return None
        return _corrected(inp, lenient=False) or _exact(inp) or _corrected(inp, lenient=True) or _lenient(inp)
    return _exact(inp) or _lenient(inp)


def _understood(whole: Input, prepared: Prepared, start: int, end: int) -> _Reading | None:
    """The reading of whole.words[start:end], when it is confident and said as meant in the whole text."""
    reading = _read(Input(whole.words[start:end], whole.raws[start:end]))
    if reading is None or reading.rule.confidence - reading.penalty < MIN_CONFIDENCE:
        return None
    stop = end if reading.end is None else start + reading.end
    reading = reading._replace(start=start + reading.start, end=stop)
    pointing = reading.values.get("target") in _POINTING  # "db-prod is stuck again, please restart it"
    if pointing or (reading.rule.intent in CHANGING_INTENTS and "target" not in reading.values):
        named = _named_elsewhere(whole, reading.start, stop)  # "web-prod is on fire, emergency scale"
        if named is not None:
            reading = reading._replace(values={**reading.values, "target": named})
        elif pointing:
            return None
    return reading if _said_as_meant(reading, prepared, whole) else None


def _one_clause(whole: Input, prepared: Prepared) -> _Reading | None:
    """For text in several clauses ("stop api-staging, nobody is testing tonight"): the best reading of one of
    them, judged in the whole text (so "restart db-prod, no wait" stays no order)."""
    found: list[_Reading] = []
    for first, last in clauses(prepared.tokens):
        start, end, _request = filler_bounds(whole.words[first:last])
        if (first + start, first + end) != (0, len(whole.words)) and end > start:
            reading = _understood(whole, prepared, first + start, first + end)
            if reading is not None:
                found.append(reading)
    # the surest, then the one that says most, then the later (context comes first: "we're drowning, ...")
    return max(found, key=_preference, default=None)


def _all_named(phrase: str) -> bool:
    return all(_looks_named(word) or word in NUMBER_WORDS for word in phrase.lower().split())


def _looks_named(phrase: str) -> bool:
    return not names_nothing(phrase) and vocab.looks_like_name(phrase)


def _preference(reading: _Reading) -> tuple[float, bool, int, int]:
    target = reading.values.get("target")
    named = not isinstance(target, str) or vocab.looks_like_name(target)
    return reading.rule.confidence - reading.penalty, named, len(reading.values), reading.start


def _named_elsewhere(inp: Input, start: int, end: int) -> str | None:
    """The one resource name typed outside words[start:end] that "it" can point at."""
    names = {
        inp.raws[i]
        for i in range(len(inp.words))
        if not start <= i < end and "-" in inp.words[i][1:] and any(c.isalpha() for c in inp.words[i])
    }
    return names.pop() if len(names) == 1 else None


def _said_as_meant(reading: _Reading, prepared: Prepared, inp: Input) -> bool:
    """A change only as an order, naming its resource with something that can be a name."""
    if reading.rule.intent not in CHANGING_INTENTS:
        return True
    if not _fits(reading.rule, reading.values):  # "it" was replaced by a name from another clause
        return False
    end = len(inp.words) if reading.end is None else reading.end
    ends = tuple(t.ends_clause for t in prepared.tokens)
    said = mood(inp.words, ends, reading.start, end, question=prepared.question, request=prepared.request)
    return said is Mood.ORDER


def _unslipped(word: str) -> str:
    """A word after the first, typed with a slip, as the word of the language it surely is ("instnaces",
    "servrs"); never a verb that acts. The raw text is kept, so a name's own slip stays the name as typed."""
    if len(word) < 5 or not word.isalpha() or word in _NOT_SLIPS:
        return word
    best = process.extractOne(word, _SLIP_TARGETS, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF)
    return best[0] if best else word


def _unknown(text: str, confidence: float) -> Intent:
    return Intent(name=IntentName.UNKNOWN, confidence=confidence, text=text)


def _first_match(inp: Input, rules: tuple[Rule, ...], *, guessing: bool) -> tuple[Rule, Values] | None:
    words = frozenset(inp.words)
    for candidate in rules:
        if (guessing and candidate.strict) or not candidate.may_match(words):
            continue
        values = match(candidate.elements, inp)
        if values is not None and _fits(candidate, values):
            return candidate, values
    return None


def _fits(rule: Rule, values: Values) -> bool:
    """Whether what a rule's slots read can be what they stand for: a change's resource must look like a name
    ("restart loop on web-staging" restarts no "loop"), and so must a loose rule's ("what is love"), the free
    text of a search it reads ("is slack down") and a help topic asked about ("how do you spell kubernetes")."""
    target = values.get("target")
    judged = rule.loose or rule.intent in CHANGING_INTENTS
    if judged and isinstance(target, str) and target not in _POINTING and not _looks_named(target):
        return False
    slot_first_change = rule.first_words is None and rule.intent in CHANGING_INTENTS
    if slot_first_change and isinstance(target, str) and not _all_named(target):
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
            if end < n and part.words[-1] in _DANGLING:  # "how is the [weather]": what was dropped was its object
                continue
            if end < n and inp.words[end] in _REMARK_VERBS:  # "reboot db staging [ssh is dead]"
                continue
            rules = rules_for(part.words[0], slot_first=part.words[0] not in _KNOWN)
            found = _first_match(part, rules, guessing=True)
            if found and found[0].intent in _ACTS and not found[1]:
                continue  # "restart [loop on web-staging]": an act is not guessed without what it acts on
            if found and found[0].intent in CHANGING_INTENTS and _has_number(inp.words[end:]):
                continue  # "take worker-prod down [to 3]": a number said for a change is never dropped
            if found and found[0].intent is not IntentName.CANCEL and not _COMMAND_VERBS.isdisjoint(inp.words[end:]):
                continue  # "go to dr now [move api-prod over]": what was dropped is another command
            if found and _safe_to_drop(found[0].intent, inp.words[end:], lead):
                return _Reading(found[0], found[1], _SKIP_PENALTY * skipped, lead, end)
    return _before_remark(inp)


def _before_remark(inp: Input) -> _Reading | None:
    """A command followed by a remark of any length ("hard reboot db-prod ssh is dead"): read up to a word
    that opens another clause, keeping as many words as possible."""
    for end in range(len(inp.words) - 1, 0, -1):
        subject = _REMARK_VERBS.intersection(inp.words[end + 1 : end + 3])  # "... root cause was a bad deploy"
        if (inp.words[end] not in _OPENS_CLAUSE and not subject) or inp.words[end - 1] in _DANGLING:
            continue
        if inp.words[end] in ("to", "for") and _has_number(inp.words[end + 1 : end + 2]):
            continue  # "scale web-prod to 20": the number is the command's own
        if not _COMMAND_VERBS.isdisjoint(inp.words[end:]):
            continue  # "all good now close alert 338": the rest is a command, not a remark
        part = Input(inp.words[:end], inp.raws[:end])
        found = _first_match(part, rules_for(part.words[0], slot_first=False), guessing=True)
        if found is None:
            continue
        if found[0].intent in _ACTS and not found[1]:
            continue  # an act is not guessed without what it acts on
        if found[0].intent in CHANGING_INTENTS and _has_number(inp.words[end:]):
            continue  # nor a change past a number said for it
        if found[0].intent is IntentName.SILENCE and "duration_seconds" not in found[1]:
            continue  # nor a silence without its length: the remark may have held it
        return _Reading(found[0], found[1], _SKIP_PENALTY * 2, 0, end)
    return None


def _has_number(words: tuple[str, ...]) -> bool:
    return any(read_number(words, i) is not None or any(c.isdigit() for c in words[i]) for i in range(len(words)))


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
