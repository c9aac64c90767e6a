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

from collections.abc import Iterator

from pydantic import ValidationError

from core.models import CHANGING_INTENTS, Intent, IntentName, Slots
from intents import vocab
from intents.deploy_slots import reason_start
from intents.grammar import FIRST_WORDS
from intents.guesses import VOCABULARY, corrected, misspelt_act, skipping, suggestion, unslipped
from intents.help import topic_of
from intents.matching import POINTING, Reading, exact, fits
from intents.mood import FINE, UNORDERING, Mood, mood
from intents.numbers import is_digits
from intents.reading import Input
from intents.text import MAX_CHARS, Prepared, clauses, filler_bounds, prepare

UNKNOWN_CONFIDENCE = 0.2
MIN_CONFIDENCE = 0.5  # below this a reading is a guess, and we say we did not understand
# Verbs of a remark said before a command: how things are ("is down"), what happened ("got paged").
_REMARK_VERBS = frozenset({"is", "are", "was", "were", "am", "got", "looking", "woke", "went", "keeps", "seems"})
_NOT_BEFORE_ORDER = frozenset(
    {"we", "i", "you", "they", "he", "she", "to", "and", "will", "can", "should", "must", "be", "been", "get", "gets"}
    | _REMARK_VERBS  # "it got [shut down]" is passive
)
_STATE_WORDS = frozenset(
    {
        "down",
        "up",
        "now",
        "dead",
        "stuck",
        "slow",
        "fine",
        "ok",
        "okay",
        "good",
        "broken",
        "hung",
        "gone",
        "out",
        "over",
    }
    | {"back", "busy", "bad", "offline", "online", "red", "green", "fire", "again", "here", "awake", "late", "full"}
    | {"off", "empty", "terrible", "huge", "done", "high", "low", "idle", "quiet", "better", "worse", "spiky", "flaky"}
    | {"over", "gone", "everywhere", "unusable", "unreachable", "sad", "angry", "mad", "awful", "horrible"}
)
_ASKING_FIRST = frozenset(
    {"did", "does", "do", "should", "shall", "can", "could", "would", "will", "who", "why", "if", "is", "are", "was"}
    | {"were", "has", "have", "how", "what", "where", "when", "which", "whose", "in", "any", "anyone"}
)
_ALERT_WORDS = frozenset({"alert", "incident", "alarm", "page", "number", "no", "id"})
_ON_AN_ALERT = frozenset({IntentName.ACK, IntentName.RESOLVE, IntentName.ESCALATE})
_ASKS_HOW = frozenset(
    {"scale", "restart", "emergency", "shutdown", "failover", "search", "show", "confirm", "deploy", "rollback"}
)
# Read only when said as an order: the changes, setting a budget (a change of opsbot's own config), and what a
# running deploy is told ("did we cancel the deploy?" cancels nothing).
_ORDERS = CHANGING_INTENTS | {
    IntentName.SET_BUDGET,
    IntentName.PAUSE_DEPLOY,
    IntentName.RESUME_DEPLOY,
    IntentName.CANCEL_DEPLOY,
    IntentName.PAUSE_RUNBOOK,  # "did we abort the failover?" aborts nothing
    IntentName.RESUME_RUNBOOK,
    IntentName.ABORT_RUNBOOK,
}


# A message too long to read whole is read by its first words when they make an incident update ("inc 7 update"
# and a long note): the incident flow takes the note from the message's own text, every word of it.
_LONG_NOTE_INTENTS = frozenset({IntentName.INCIDENT_UPDATE})
_LONG_NOTE_HEAD = 12  # words


def _long_note(shown: str) -> Intent | None:
    head = parse(" ".join(shown.split()[:_LONG_NOTE_HEAD]))
    if head.name not in _LONG_NOTE_INTENTS:
        return None
    return head.model_copy(update={"text": shown})


def parse(text: str) -> Intent:
    """The intent of `text`. Never raises; reads a bounded prefix of any input."""
    shown = text.strip()[:MAX_CHARS]
    if shown and not shown.strip("?¿ "):
        return Intent(name=IntentName.HELP, confidence=0.97, text=shown)
    prepared = prepare(text)
    tokens = prepared.tokens
    if prepared.too_long and (head := _long_note(shown)) is not None:
        return head
    if prepared.too_long or not tokens:
        return _unknown(shown, 0.05 if prepared.too_long else 0.0)
    inp = Input(tuple(unslipped(t.word) if i else t.word for i, t in enumerate(tokens)), tuple(t.raw for t in tokens))

    topic = topic_of(inp.words[0]) if prepared.question and len(inp.words) == 1 else None
    if topic in _ASKS_HOW:  # "scale?" asks how to scale; "status?" asks for the status
        return Intent(name=IntentName.HELP, slots=Slots(topic=topic), confidence=0.9, text=shown)

    first = inp.words[0]
    if first.isalpha() and first not in VOCABULARY:
        act = misspelt_act(first)
        if act is not None:  # "restrat db-prod", "scael web-prod to 20": not guessed, not a name either
            return Intent(
                name=IntentName.UNKNOWN, slots=suggestion(act, inp), confidence=UNKNOWN_CONFIDENCE, text=shown
            )
    reading = _understood(inp, prepared, 0, len(inp.words)) or _one_clause(inp, prepared)
    for marked in _remark_marked(inp, prepared) if reading is None else ():
        reading = _one_clause(inp, marked)  # "got paged what's going on with alert 92": a remark, unmarked
        if reading is not None:
            break
    if reading is None:
        return _unknown(shown, UNKNOWN_CONFIDENCE)
    try:
        slots = Slots.model_validate({**reading.values, **reading.rule.fixed})
    except ValidationError:  # a reader produced a value the model refuses: treat as not understood
        return _unknown(shown, UNKNOWN_CONFIDENCE)
    confidence = round(reading.rule.confidence - reading.penalty, 3)
    return Intent(name=reading.rule.intent, slots=slots, confidence=confidence, text=shown)


def _read(inp: Input) -> Reading | None:
    first = inp.words[0]
    if first.isalpha() and first not in VOCABULARY:
        # a typo of a command word beats reading the typo as part of a resource name ("stauts of prod")
        if misspelt_act(first) is not None:
            return None
        return corrected(inp, lenient=False) or exact(inp) or corrected(inp, lenient=True) or skipping(inp)
    return exact(inp) or skipping(inp)


def _understood(whole: Input, prepared: Prepared, start: int, end: int) -> Reading | None:
    """The reading of whole.words[start:end], when it is confident and said as meant in the whole text."""
    reading = _read(Input(whole.words[start:end], whole.raws[start:end]))
    if reading is None or reading.rule.confidence - reading.penalty < MIN_CONFIDENCE:
        return None
    stop = end if reading.end is None else start + reading.end
    reading = reading._replace(start=start + reading.start, end=stop)
    pointing = reading.values.get("target") in POINTING  # "db-prod is stuck again, please restart it"
    if pointing or (reading.rule.intent in CHANGING_INTENTS and "target" not in reading.values):
        named = _named_elsewhere(whole, reading.start, stop)  # "web-prod is on fire, emergency scale"
        if named is not None and not pointing and not FINE.isdisjoint(whole.words):
            return None  # "restart! web-prod is fine" borrows no name to change
        if named is not None:
            reading = reading._replace(values={**reading.values, "target": named})
        elif pointing:
            return None
    if reading.rule.intent in _ON_AN_ALERT and "alert_id" not in reading.values:
        alert = _number_elsewhere(whole, reading.start, stop)  # "42 needs more eyes, escalate it"
        if alert is not None:
            reading = reading._replace(values={**reading.values, "alert_id": alert})
    return reading if _said_as_meant(reading, prepared, whole) else None


def _one_clause(whole: Input, prepared: Prepared) -> Reading | None:
    """For text in several clauses ("stop api-staging, nobody is testing tonight"): the best reading of one of
    them, judged in the whole text (so "restart db-prod, no wait" stays no order)."""
    found: list[Reading] = []
    for first, last in clauses(prepared.tokens):
        start, end, _request = filler_bounds(whole.words[first:last])
        if (first + start, first + end) != (0, len(whole.words)) and end > start:
            reading = _understood(whole, prepared, first + start, first + end)
            if reading is not None:
                found.append(reading)
    # the surest, then the one that says most, then the later (context comes first: "we're drowning, ...")
    return max(found, key=_preference, default=None)


def _remark_marked(inp: Input, prepared: Prepared) -> Iterator[Prepared]:
    """The text with a clause break after a leading remark that no punctuation ends ("we're drowning emergency
    scale up web-prod", "us-east-1 is down fail web-prod over to dr"): a remark says how things are (a verb
    like "is" or "got"), and is neither a question, a condition, a negation nor a plan - so "if web-prod dies
    we fail over" and "carol shut down web-preview" are never split into an order."""
    words = inp.words
    for split in range(2, len(words)):
        remark = words[:split]
        if words[split] not in FIRST_WORDS or prepared.tokens[split - 1].ends_clause:
            continue
        if (_REMARK_VERBS.isdisjoint(remark) and remark[-1] != "now") or remark[-1] in _NOT_BEFORE_ORDER:
            continue
        if not (remark[-1] in _STATE_WORDS or remark[-1].endswith(("ing", "ed"))):
            continue  # "... so bob shut down it": a remark ends on how things are, not on who did something
        if remark[0] in _ASKING_FIRST or not UNORDERING.isdisjoint(remark):
            continue
        tokens = list(prepared.tokens)
        tokens[split - 1] = tokens[split - 1]._replace(ends_clause=True)
        yield prepared._replace(tokens=tuple(tokens))


def _preference(reading: Reading) -> tuple[float, bool, int, int]:
    target = reading.values.get("target")
    named = not isinstance(target, str) or vocab.looks_like_name(target)
    return reading.rule.confidence - reading.penalty, named, len(reading.values), reading.start


def _number_elsewhere(inp: Input, start: int, end: int) -> int | None:
    """The one alert number typed outside words[start:end], as an alert is named: first in its sentence or after
    "alert" ("42 needs more eyes", "alert 42 is flapping"), not any number ("we scaled to 20")."""
    numbers = {
        int(w)
        for i, w in enumerate(inp.words)
        if not start <= i < end and is_digits(w) and (i == 0 or inp.words[i - 1] in _ALERT_WORDS)
    }
    return numbers.pop() if len(numbers) == 1 else None


def _named_elsewhere(inp: Input, start: int, end: int) -> str | None:
    """The one resource name typed outside words[start:end] that "it" can point at."""
    names = {
        inp.raws[i]
        for i in range(len(inp.words))
        if not start <= i < end and "-" in inp.words[i][1:] and any(c.isalpha() for c in inp.words[i])
    }
    return names.pop() if len(names) == 1 else None


def _said_as_meant(reading: Reading, prepared: Prepared, inp: Input) -> bool:
    """A change only as an order, naming its resource with something that can be a name."""
    if reading.rule.intent not in _ORDERS:
        return True
    if not fits(reading.rule, reading.values):  # "it" was replaced by a name from another clause
        return False
    end = len(inp.words) if reading.end is None else reading.end
    words = inp.words
    ends = tuple(t.ends_clause for t in prepared.tokens)
    asked = frozenset(i for i, t in enumerate(prepared.tokens) if t.asks)
    reason = reason_start(inp, reading.start, end) if "reason" in reading.values else None
    if reason is not None:  # the order is what comes before its reason, and what is said after it
        words, ends, asked = _without_reason(words, ends, asked, reason, end)
        end = reason
    said = mood(words, ends, reading.start, end, question=prepared.question, request=prepared.request, asked=asked)
    return said is Mood.ORDER


def _without_reason(
    words: tuple[str, ...], ends: tuple[bool, ...], asked: frozenset[int], reason: int, end: int
) -> tuple[tuple[str, ...], tuple[bool, ...], frozenset[int]]:
    """The text with the free words of a reason (words[reason:end]) left out up to its first clause's end: what a
    reason says ("because it is not working") is no negation of the order, but a clause after it ("..., no wait")
    still takes the order back."""
    cut = next((i + 1 for i in range(reason, end) if ends[i]), end)
    kept = (*range(reason), *range(cut, len(words)))
    cut_ends = [ends[i] for i in kept]
    if reason and cut < len(words):
        cut_ends[reason - 1] = True
    moved = frozenset(i if i < reason else i - (cut - reason) for i in asked if i < reason or i >= cut)
    return tuple(words[i] for i in kept), tuple(cut_ends), moved


def _unknown(text: str, confidence: float) -> Intent:
    return Intent(name=IntentName.UNKNOWN, confidence=confidence, text=text)
