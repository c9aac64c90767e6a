"""Readings guessed when no rule reads every word: a typo of the first word corrected, words skipped at the
start or the end, a remark after the command dropped, slips in the words around a command read as meant."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from core.models import CHANGING_INTENTS, IntentName, Slots
from core.models import IntentName as I
from intents import cost_slots, vocab
from intents.filters import STOP_WORDS
from intents.grammar import FIRST_WORDS, keywords, rules_for
from intents.matching import ACTS, Reading, first_match
from intents.mood import CHANGE_VERBS, MARKERS
from intents.numbers import NUMBER_WORDS, read_number
from intents.patterns import MACROS
from intents.reading import Input

_SKIP_PENALTY = 0.12
_MAX_SKIPPED = 3
_MAX_LEADING_SKIP = 2
_TYPO_CUTOFF = 80.0
_KNOWN = frozenset(FIRST_WORDS)
# Words of the language that are not command words: never "corrected" into one ("monthly" is not "month").
VOCABULARY = keywords() | vocab.words() | cost_slots.words()
# A guessed change must not have dropped a word that reverses it ("restart db-prod, no wait").
_REVERSING = frozenset({"no", "not", "never", "wait", "cancel", "abort", "stop", "hold", "dont", "without", "undo"})
# Words a typo may be corrected to: the first words of questions only ("stats" is perf, "start" a change).
_ASKING = frozenset(
    {I.STATUS, I.SEARCH, I.SHOW, I.COST, I.FORECAST, I.ALERTS, I.ONCALL, I.HELP, I.NOT_YET, I.MORE, I.METRIC, I.WATCH}
    | {I.COST_WHY, I.SAVINGS, I.COST_EXPORT, I.BUDGET}  # never SET_BUDGET: a typo never changes a budget
    | {I.DEPLOY_STATUS, I.DEPLOY_HISTORY}  # never a deploy, a rollback, nor a pause, resume or cancel of one
)
_OWN_RULES = {w: [r for r in rules_for(w, slot_first=False) if r.first_words and not r.strict] for w in FIRST_WORDS}
_ACT_WORDS = tuple(w for w, own in _OWN_RULES.items() if w.isalpha() and any(r.intent in ACTS for r in own))
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
    | {"before", "during", "ahead", "but", "though", "although", "otherwise"}
)
# Verbs of a remark: the word before one is its subject, not the end of a resource name.
_REMARK_VERBS = frozenset({"is", "are", "was", "were", "keeps", "keep", "has", "have", "needs", "looks", "seems"})
# What a slip after the first word may be corrected to: the words of the language that do not act.
_SLIP_TARGETS = tuple(
    sorted(
        {w for w in MACROS["units"].split("|") + list(vocab.KINDS) + list(vocab.STATES) if w.isalpha() and len(w) >= 4}
        | {"capacity", "traffic", "details", "overview", "summary", "status", "health", "staging", "production"}
        | {"replicas", "alerts", "incident", "incidents", "weekend", "tonight", "instances", "forecast", "region"}
        | {w for w in vocab.METRIC_WORDS if w.isalpha() and len(w) >= 5}
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
_DETERMINERS = frozenset(
    {"the", "a", "an", "this", "that", "its", "our", "my", "another", "after", "before", "since", "by", "of"}
)
_NOT_SLIPS = VOCABULARY | NUMBER_WORDS | vocab.ROLES | STOP_WORDS | MARKERS


def unslipped(word: str) -> str:
    """A word after the first, typed with a slip, as the word of the language it surely is ("instnaces",
    "servrs"); never a verb that acts. The raw text is kept, so a name's own slip stays the name as typed."""
    if len(word) < 5 or not word.isalpha() or word in _NOT_SLIPS:
        return word
    best = process.extractOne(word, _SLIP_TARGETS, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF)
    return best[0] if best else word


def _closest(word: str, choices: tuple[str, ...]) -> tuple[str, float] | None:
    if len(word) < 4:
        return None
    swapped = [c for c in choices if len(c) == len(word) and _one_swap(word, c)]  # "shwo", "lsit": two swapped
    if swapped:
        return swapped[0], 90.0
    best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF)
    return (best[0], best[1]) if best else None


def misspelt_act(word: str) -> str | None:
    """The verb that acts which `word` is a typo of, when it is at least as close to it as to any word that asks
    ("strat": start or state? neither is guessed). Four letters are too few to tell a typo of a verb that acts
    ("stat" is a "start" with one letter less, and a "state" too): such a word must be strictly closer to it."""
    act = _closest(word, _ACT_WORDS)
    if act is None:
        return None
    asking = _closest(word, _CORRECTABLE)
    if asking is None or act[1] > asking[1] or (act[1] == asking[1] and len(word) > 4):
        return act[0]
    return None


def _one_swap(word: str, choice: str) -> bool:
    if len(word) != len(choice) or word == choice:
        return False
    diff = [i for i in range(len(word)) if word[i] != choice[i]]
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and word[diff[0]] == choice[diff[1]]
        and word[diff[1]] == choice[diff[0]]
    )


def suggestion(act: str, inp: Input) -> Slots:
    """The command a misspelt verb would make, to show (never run): "restart db-prod" for "restrat db-prod"."""
    fixed = Input((act, *inp.words[1:]), (act, *inp.raws[1:]))
    found = first_match(fixed, rules_for(act), guessing=True)
    return Slots(topic=" ".join(fixed.raws)) if found and found[0].intent in ACTS else Slots()


def corrected(inp: Input, *, lenient: bool) -> Reading | None:
    """Retries with the first word replaced by the asking word it most resembles ("stauts" -> "status")."""
    best = _closest(inp.words[0], _CORRECTABLE)
    if best is None:
        return None
    word, score = best
    fixed = Input((word, *inp.words[1:]), inp.raws)
    penalty = 0.05 + (100.0 - score) / 100.0
    if not lenient:
        found = first_match(fixed, rules_for(word), guessing=True)
        return Reading(found[0], found[1], penalty) if found else None
    reading = skipping(fixed)
    return reading._replace(penalty=reading.penalty + penalty) if reading else None


def skipping(inp: Input) -> Reading | None:
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
            if end < n and not _REMARK_VERBS.isdisjoint(inp.words[end : end + 2]):  # "reboot db staging [ssh is dead]"
                continue
            rules = rules_for(part.words[0], slot_first=part.words[0] not in _KNOWN)
            found = first_match(part, rules, guessing=True)
            if found and found[0].intent in ACTS and not found[1]:
                continue  # "restart [loop on web-staging]": an act is not guessed without what it acts on
            if found and found[0].intent in CHANGING_INTENTS and _has_number(inp.words[end:]):
                continue  # "take worker-prod down [to 3]": a number said for a change is never dropped
            if found and found[0].intent is not IntentName.CANCEL and commands_in(inp.words[end:]):
                continue  # "go to dr now [move api-prod over]": what was dropped is another command
            if found and _safe_to_drop(found[0].intent, inp.words[end:], lead):
                return Reading(found[0], found[1], _SKIP_PENALTY * skipped, lead, end)
    return _before_remark(inp)


def _before_remark(inp: Input) -> Reading | None:
    """A command followed by a remark of any length ("hard reboot db-prod ssh is dead"): read up to a word
    that opens another clause, keeping as many words as possible."""
    for end in range(len(inp.words) - 1, 0, -1):
        subject = _REMARK_VERBS.intersection(inp.words[end + 1 : end + 3])  # "... root cause was a bad deploy"
        if (inp.words[end] not in _OPENS_CLAUSE and not subject) or inp.words[end - 1] in _DANGLING:
            continue
        if inp.words[end] in ("to", "for") and _has_number(inp.words[end + 1 : end + 2]):
            continue  # "scale web-prod to 20": the number is the command's own
        if commands_in(inp.words[end:]):
            continue  # "all good now close alert 338": the rest is a command, not a remark
        part = Input(inp.words[:end], inp.raws[:end])
        found = first_match(part, rules_for(part.words[0], slot_first=False), guessing=True)
        if found is None:
            continue
        if found[0].intent in ACTS and not found[1]:
            continue  # an act is not guessed without what it acts on
        if found[0].intent in CHANGING_INTENTS and _has_number(inp.words[end:]):
            continue  # nor a change past a number said for it
        if found[0].intent is IntentName.SILENCE and "duration_seconds" not in found[1]:
            continue  # nor a silence without its length: the remark may have held it
        return Reading(found[0], found[1], _SKIP_PENALTY * 2, 0, end)
    return None


def commands_in(words: tuple[str, ...]) -> bool:
    """Whether `words` hold the verb of another command ("... move api-prod over"), not a noun ("after the
    restart")."""
    return any(w in _COMMAND_VERBS and (i == 0 or words[i - 1] not in _DETERMINERS) for i, w in enumerate(words))


def _has_number(words: tuple[str, ...]) -> bool:
    return any(read_number(words, i) is not None or any(c.isdigit() for c in words[i]) for i in range(len(words)))


def _safe_to_drop(intent: IntentName, trailing: tuple[str, ...], lead: int) -> bool:
    """An act is guessed only from its own first word on ("did someone restart db-prod" asks, it does not
    command), and only when the words dropped after it cannot reverse it. A silence or taking the pager drops
    nothing after it: those words may have been its length or its period ("silence 42 until tomorrow" is not
    "silence 42" for the default, "i'll take the pager next weekend" is not tonight)."""
    if intent not in ACTS:
        return True
    if intent in (IntentName.SILENCE, IntentName.TAKE_ONCALL) and trailing:
        return False
    return lead == 0 and _REVERSING.isdisjoint(trailing)
