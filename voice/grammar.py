"""The command language as a speech grammar: the words and phrases a recogniser may hear, and a JSGF grammar
built from the parser's own patterns (`intents.grammar.RULES`), so what is recognised is what parses.

Resource names are spoken ("web-prod" -> "web prod", "vm-17" -> "vm seventeen"); slots become sub-rules
(a number, a resource name, a bag of filters) and words a recogniser cannot say ("a.w.s", "p99") are left out."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator

from intents import vocab
from intents.grammar import RULES, keywords
from intents.help import TOPICS
from intents.numbers import NUMBER_WORDS, TEENS, TENS, UNITS
from intents.patterns import Words
from voice.types import Vocabulary

_SPEAKABLE = re.compile(r"[a-z]+")
_NAME_PARTS = re.compile(r"[a-z]+|\d+")
_ONES = tuple(UNITS)
_TEN_WORDS = {value: word for word, value in TENS.items() if word != "fourty"}
_TEEN_WORDS = {value: word for word, value in TEENS.items()}
_NATO = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo", "lima")
_NATO_REST = ("mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor")
_GROUP_LEADS = ("by", "per", "broken down by", "grouped by", "split by")
# Lengths of a silence as people say them ("for thirty minutes", "for half an hour"), each amount with its unit:
# a decoder offered every number takes "fifty minutes" for "fifteen minutes", or "forty two hour" for "half an
# hour", and the alert stays silent for days. Other lengths are typed.
_SILENCE_LENGTHS: dict[str, tuple[str, ...]] = {
    "minutes": ("two", "three", "five", "ten", "fifteen", "twenty", "twenty five", "thirty", "forty five", "ninety"),
    "hours": (
        *("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
        *("eighteen", "twenty four", "thirty six", "forty eight", "seventy two"),
    ),
    "days": ("two", "three", "four", "five", "six", "seven"),
}
# Metrics as people say them; each is a word of intents.vocab's metric words, so the parser reads what is heard.
_METRIC_WORDS = ("cpu", "memory", "latency", "response time", "errors", "error rate", "requests", "traffic",
                 "network in", "network out")  # fmt: skip
_SPOKEN_LENGTHS = ("half an hour", "an hour", "an hour and a half", "a day", "a minute", "one hour", "one day")
# The stretches "i will take ..." covers, as the text parser reads them (intents.grammar TAKE_ONCALL).
_PAGER_PERIODS = ("tonight", "today", "this week", "the week", "this weekend", "the weekend")


def spoken_number(number: int) -> str:
    """Words for a number as people say it: 0..999 as a number, longer ones digit by digit."""
    if number >= 1000:
        return " ".join(_ONES[int(d)] for d in str(number))
    hundreds, rest = divmod(number, 100)
    words = [_ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        words.append(_TEN_WORDS[rest - rest % 10])
        if rest % 10:
            words.append(_ONES[rest % 10])
    elif rest >= 10:
        words.append(_TEEN_WORDS[rest])
    elif rest or not words:
        words.append(_ONES[rest])
    return " ".join(words)


def spoken_name(name: str) -> str:
    """ "web-prod" -> "web prod", "checkout-prod-vm-17" -> "checkout prod vm seventeen", "m5" -> "m five"."""
    parts = _NAME_PARTS.findall(name.lower())
    return " ".join(spoken_number(int(p)) if p.isdigit() else p for p in parts)


def speakable(phrase: str) -> bool:
    return all(_SPEAKABLE.fullmatch(word) for word in phrase.split()) and bool(phrase.strip())


def build_vocabulary(resource_names: Iterable[str]) -> Vocabulary:
    """Everything that may be said: the grammar's literal phrases, closed vocabularies, number words, and the
    given resource names as spoken. Group names and standalone resources are enough."""
    names = tuple(sorted({spoken for n in resource_names if (spoken := spoken_name(n)) and speakable(spoken)}))
    phrases = {" ".join(option) for r in RULES for e in r.elements if isinstance(e, Words) for option in e.options}
    phrases |= set(_closed_phrases()) | set(NUMBER_WORDS) | set(names)
    spoken_phrases = tuple(sorted(p for p in phrases if speakable(p)))
    words = {w for p in spoken_phrases for w in p.split()} | {w for w in keywords() | vocab.words() if speakable(w)}
    digest = hashlib.sha256("\n".join((*spoken_phrases, "|", *names)).encode()).hexdigest()[:16]
    return Vocabulary(phrases=spoken_phrases, words=tuple(sorted(words)), resource_names=names, version=digest)


def _closed_phrases() -> Iterator[str]:
    yield from vocab.PROVIDERS
    yield from vocab.ENVIRONMENTS
    yield from vocab.KINDS
    yield from vocab.STATES
    yield from vocab.PERIODS
    yield from vocab.GROUP_BY
    yield from _spoken_regions()
    yield from TOPICS
    yield from (*_NATO, *_NATO_REST)
    yield from _SPOKEN_LENGTHS
    yield from (f"{amount} {unit}" for unit, amounts in _SILENCE_LENGTHS.items() for amount in amounts)


def _spoken_regions() -> Iterator[str]:
    """Hyphenated regions as read aloud ("us-east-1" -> "us east one"); Azure's joined names are not words."""
    for region in sorted(vocab.REGIONS):
        if "-" in region:
            yield spoken_name(region)


def jsgf(vocabulary: Vocabulary) -> str:
    """A compact JSGF grammar of the spoken commands, with the vocabulary's resource names as <resource>.

    It covers the usual phrasings of every intent, not every typed variant: a small grammar is both
    accurate and fast (a loop over all words lets the decoder string fillers together). Anything else
    goes to the free-form fallback and then to the text parser like typed text."""
    rules = _rules(vocabulary)
    body = [f"<{name}> = {expansion};" for name, expansion in rules.items()]
    public = "public <command> = " + " | ".join(f"<{name}>" for name in _COMMANDS) + ";"
    return "\n".join(["#JSGF V1.0;", "grammar opsbot;", public, *body]) + "\n"


def sentence_matcher(vocabulary: Vocabulary) -> Callable[[str], bool]:
    """Whether a text is a whole sentence of `jsgf(vocabulary)`. A grammar decoder that reaches no final
    state returns its best partial path ("scale the"); this tells such a path from a command."""
    rules = _rules(vocabulary)
    command = "(?:" + "|".join(f"(?:{_regex(rules[name], rules)})" for name in _COMMANDS) + ")"
    pattern = re.compile(command)
    return lambda text: pattern.fullmatch(" ".join(text.split()) + " ") is not None


_JSGF_TOKEN = re.compile(r"<\w+>|[()\[\]|]|[a-z]+")


def _regex(expansion: str, rules: dict[str, str]) -> str:
    out: list[str] = []
    for token in _JSGF_TOKEN.findall(expansion):
        if token == "<VOID>":  # noqa: S105 - a grammar token, not a secret
            out.append("(?!)")
        elif token.startswith("<"):
            out.append("(?:" + _regex(rules[token[1:-1]], rules) + ")")
        elif token in ("(", "["):
            out.append("(?:")
        elif token == "]":  # noqa: S105
            out.append(")?")
        elif token in (")", "|"):
            out.append(token)
        else:
            out.append(re.escape(token) + " ")
    return "".join(out)


def _rules(vocabulary: Vocabulary) -> dict[str, str]:
    names = [n for n in vocabulary.resource_names if speakable(n)]
    return {**_COMMANDS, **_slots(names)}


# One rule per intent, in the words people say to a phone; every sentence here parses to that intent.
_COMMANDS: dict[str, str] = {
    "status": (
        "(status | health) [report] [(of | for | in) <place>] | how is <place> doing | is <place> ok"
        " | (status | health) of <target>"
    ),
    "search": "(find | search for | list | look up) <terms> | (show | list) [me] [all] [the] <state> <kind>",
    "show": "(show [me] | describe | details of | what is | tell me about) <target>",
    "scale": (
        "(scale | resize | set) <target> to <number> [<units>]"
        " [and (raise the (max | maximum) | lower the (min | minimum))]"
        " | scale (up | down) <target> by <number> [<units>]"
        " | scale <target> (up | down) by <number> [<units>]"
        " | add <number> [more] [<units>] to <target>"
        " | remove <number> [<units>] from <target>"
    ),
    "power": "(restart | reboot | stop | start) <target>",
    "emergency": "emergency scale [up] [<target> [to <number> [<units>]]]",
    "shutdown": "(shut down | shutdown | emergency shutdown) <target> [now]",
    # A target is required: "fail over" alone is what a short noisy "help" turned into.
    "failover": "(fail over | failover) <target> [to <destination>]",
    "cost": (
        "(cost | costs | spend) [(of | for) <target>] [<period>] [by <grouping>] | how much did we spend [<period>]"
    ),
    "forecast": "[cost] forecast [for next month] | cost for next month | are we on track | will we go over budget",
    "cost_why": "why did (cost | costs | spend) (jump | go up | spike) [on <weekday> | yesterday | today]",
    "savings": "what can we (cut | turn off) [in <place>] | how can we save money | savings | idle instances",
    "budget": "[show [me]] [the] budgets | budget for <budget_place> | how are we doing against budget",
    "alerts": "[show] [me] [open | active | firing] alerts [(in | on) <place>]",
    "metric": (
        "[show] [me] [the] <metric_word> (of | on | for) (<target> | <place>) [(over | for) [the] last <duration>"
        " | last <duration> | today | since midnight]"
        " | how busy is <target> | top <number> instances by <metric_word> [in <place>]"
    ),
    "watch": "(watch | keep an eye on) [the] <metric_word> (of | on) <target> [for <duration>]",
    "ack": "(ack | acknowledge) [alert] <number>",
    "resolve": "resolve [alert] <number>",
    "silence": "(silence | mute) [alert] <number> [for <duration>]",
    "escalate": "escalate [alert] <number>",
    "take_oncall": "i will ((take | cover) [the pager] | be on call) <pager_period>",
    "oncall": "who is on call [today | this week] | on call [schedule]",
    "help": "help [<topic>] | what can you do",
    # A code comes after the word "code": "yes <any four letters>" soaked up noise ("yes i v f a v a").
    "confirm": "(yes | yep | confirm | approve | go ahead | do it) [do it | please] | (yes | confirm) code <code>",
    "cancel": "(cancel | no | abort | never mind | nevermind) [it | that]",
}


def _slots(names: list[str]) -> dict[str, str]:
    environments = [e for e in vocab.ENVIRONMENTS if speakable(e)]
    providers = [p for p in vocab.PROVIDERS if speakable(p)]
    places = [*environments, *providers, *_spoken_regions()]
    teens, tens = _alternatives(TEENS), _alternatives(_TEN_WORDS.values())
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    services = sorted({n.split()[0] for n in names})
    return {
        "resource": _alternatives(names) if names else "<VOID>",
        "target": "[the] <resource>",
        "destination": _alternatives([*environments, *providers]) + " | <resource>",
        "place": _alternatives(places),
        "terms": "[<state>] (<kind> | " + (_alternatives(services) if services else "<VOID>") + ") [in <place>]",
        "state": _alternatives(s for s in vocab.STATES if speakable(s)),
        "kind": _alternatives(k for k in vocab.KINDS if speakable(k)),
        "period": _alternatives(p for p in vocab.PERIODS if speakable(p)),
        "grouping": _alternatives(g for g in vocab.GROUP_BY if speakable(g)),
        "units": _alternatives(("instances", "instance", "nodes", "servers", "replicas")),
        "digit": _alternatives(_ONES),
        "number": (
            f"<digit> [<digit>] [<digit>] | {teens} | {tens} [<digit>]"
            f" | <digit> hundred [[and] (<digit> | {teens} | {tens} [<digit>])]"
        ),
        "duration": " | ".join(
            [_alternatives(_SPOKEN_LENGTHS), *(f"{_alternatives(n)} {unit}" for unit, n in _SILENCE_LENGTHS.items())]
        ),
        "pager_period": _alternatives(_PAGER_PERIODS),
        "weekday": _alternatives(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")),
        "budget_place": _alternatives([*environments, *providers]),  # a budget is for a cloud or environment
        "metric_word": _alternatives(_METRIC_WORDS),
        "code": "<char> <char> <char> <char> [<char>] [<char>]",
        "char": _alternatives([*letters, *_ONES, *_NATO, *_NATO_REST]),
        "topic": _alternatives(t for t in TOPICS if speakable(t)),
    }


def _alternatives(options: Iterable[str]) -> str:
    return "(" + " | ".join(sorted(set(options))) + ")"
