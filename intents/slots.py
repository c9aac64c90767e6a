"""Slot readers: each looks at the words from a position and yields every way it could read them, as
(index after, slot values), shortest first. The pattern matcher tries them in that order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from intents import vocab
from intents.cost_slots import read_budget_scope
from intents.deploy_slots import read_deploy_scope, read_environment, read_reason, read_service, read_version
from intents.durations import read_duration as _read_duration
from intents.filters import (
    ALERT_SCOPE,
    COST,
    COST_DAY,
    COST_EXPORT,
    COST_GROUPED,
    COST_TAIL,
    SCOPE,
    SEARCH,
    TYPED_SEARCH,
)
from intents.help import topic_of
from intents.incident_slots import read_incident_id, read_note, read_severity
from intents.metric_slots import METRIC_READERS
from intents.money import read_amount
from intents.numbers import NUMBER_WORDS, UNITS, is_digits, read_number
from intents.reading import CONNECTIVES, Input, Reader, Values, Yield

# Resource names are at most a few words even when spoken ("billing staging db two").
_MAX_TARGET_WORDS = 6
_ARTICLES = frozenset({"the", "my", "our", "this", "that"})
_LOCATORS = frozenset({"in", "on", "at", "from"})
_PLACE_WORDS = frozenset({"site", "region", "side", "environment", "env", "cloud", "datacenter", "dc", "dr"})
_KIND_AFTER = frozenset(
    {"group", "asg", "cluster", "service", "instance", "server", "database", "vm", "box", "machine", "scaleset", "mig"}
    | {"pods", "pod", "nodes", "instances", "servers", "vms", "boxes", "machines", "fleet", "tier"}
)
_TOPIC_LEADS = frozenset({"with", "on", "for", "about", "to"})
_NATO = {
    "alpha": "A", "alfa": "A", "bravo": "B", "charlie": "C", "delta": "D", "echo": "E", "foxtrot": "F", "golf": "G",
    "hotel": "H", "india": "I", "juliet": "J", "juliett": "J", "kilo": "K", "lima": "L", "mike": "M",
    "november": "N", "oscar": "O", "papa": "P", "quebec": "Q", "romeo": "R", "sierra": "S", "tango": "T",
    "uniform": "U", "victor": "V", "whiskey": "W", "whisky": "W", "xray": "X", "x-ray": "X", "yankee": "Y",
    "zulu": "Z",
}  # fmt: skip


def _phrase_spans(inp: Input, start: int) -> Iterator[tuple[int, int]]:
    """(first, end) of each plausible resource phrase at `start`, shortest first; leading articles skipped.
    A spoken number counts as one word ("notify prod vm one hundred and fifty seven" is four)."""
    first = start
    while first < len(inp.words) and inp.words[first] in _ARTICLES:
        first += 1
    if inp.words[first : first + 2] == ("all", "of"):  # "restart all of web-staging"
        first += 2
    if first < len(inp.words) and inp.words[first] in ("every", "each", "all"):  # "every instance in web-staging"
        kind = vocab.read_kind(inp.words, first + 1)
        if kind is not None and kind[1] < len(inp.words) and inp.words[kind[1]] in ("in", "of", "on"):
            first = kind[1] + 1
    first = _after_kind(inp.words, first)
    if first >= len(inp.words) or inp.words[first] in CONNECTIVES:
        return
    units = 0
    i = first
    while i < len(inp.words) and units < _MAX_TARGET_WORDS:
        number = read_number(inp.words, i) if inp.words[i] in NUMBER_WORDS else None
        last = number[1] if number else i + 1
        units += 1
        for end in range(i + 1, last + 1):  # every split inside a number too: "vm one" + "one hundred"
            if inp.words[end - 1] not in CONNECTIVES:
                yield first, end
        i = last


def _after_kind(words: tuple[str, ...], first: int) -> int:
    """Where the name starts in "the asg web-prod", "the database db prod": after a kind said in front of it,
    when a word that is part of a name follows ("vm 138" stays whole)."""
    kind = vocab.read_kind(words, first)
    if kind is None or kind[1] >= len(words):
        return first
    following = words[kind[1]]
    if following.isdigit() or not vocab.looks_like_name(following) or following in CONNECTIVES:
        return first
    return kind[1]


def _plain(inp: Input, first: int, end: int) -> bool:
    """No joining words, except the "and" inside a spoken number."""
    words = inp.words
    return not any(
        words[i] in CONNECTIVES and not (words[i] == "and" and 0 < i < len(words) - 1 and words[i - 1] in NUMBER_WORDS)
        for i in range(first, end)
    )


def read_target(inp: Input, start: int) -> Yield:
    """A resource phrase as typed ("web prod"), optionally with a place: "db-prod in azure"."""
    for first, end in _phrase_spans(inp, start):
        if _plain(inp, first, end):
            named = end - 1 if end - first > 1 and inp.words[end - 1] in _KIND_AFTER else end  # "the web-prod group"
            yield end, {"target": " ".join(inp.raws[first:named])}
        else:
            located = _split_place(inp, first, end)
            if located is not None:
                yield end, located


def _split_place(inp: Input, first: int, end: int) -> Values | None:
    """ "db-prod in azure" -> target "db-prod" + provider, when the words after the last locator are a place."""
    head = Input(inp.words[:end], inp.raws[:end])
    for j in range(end - 2, first, -1):
        if inp.words[j] in _LOCATORS and _plain(inp, first, j):
            for stop, values in SCOPE(head, j + 1):
                if stop == end and values:
                    return {"target": " ".join(inp.raws[first:j]), **values}
    return None


def read_destination(inp: Input, start: int) -> Yield:
    """Where a failover goes: an environment ("dr"), a provider ("azure") or a resource ("web-dr")."""
    for first, end in _phrase_spans(inp, start):
        if not _plain(inp, first, end):
            continue
        phrase = inp.words[first:end]
        environment = vocab.read_environment(phrase, 0)
        provider = vocab.read_provider(phrase, 0)
        if environment and environment[1] in (len(phrase), len(phrase) - 1) and phrase[-1] in _PLACE_WORDS:
            yield end, {"destination": environment[0]}  # "the dr site", "the dr region"
        elif environment and environment[1] == len(phrase):
            yield end, {"destination": environment[0]}
        elif provider and provider[1] == len(phrase):
            yield end, {"destination": provider[0].value}
        else:
            yield end, {"destination": " ".join(inp.raws[first:end])}


def _number(slot: str, sign: int = 1) -> Reader:
    def read(inp: Input, start: int) -> Yield:
        found = read_number(inp.words, start)
        if found is not None:
            yield found[1], {slot: sign * found[0]}

    return read


def read_alert_id(inp: Input, start: int) -> Yield:
    """An alert id: "42", "forty two", or digits read one by one ("four two"). A spoken number may end early,
    longest first: "silence four two two hours" is alert 42 for two hours, "silence four two hours" alert 4."""
    found = read_number(inp.words, start)
    if found is None:
        return
    yield found[1], {"alert_id": found[0]}
    for end in range(found[1] - 1, start, -1):
        shorter = read_number(inp.words[:end], start)
        if shorter is not None and shorter[1] == end:
            yield end, {"alert_id": shorter[0]}


def read_duration(inp: Input, start: int) -> Yield:
    """A length of time ("1h", "30 minutes", "half an hour"), in seconds."""
    for end, seconds in _read_duration(inp.words, start):
        yield end, {"duration_seconds": seconds}


def read_signed(inp: Input, start: int) -> Yield:
    """ "+3", "-2", "plus three", "minus two" -> delta."""
    word = inp.words[start] if start < len(inp.words) else ""
    if word[:1] in "+-" and is_digits(word[1:]):
        yield start + 1, {"delta": int(word)}
    elif word in ("plus", "minus"):
        found = read_number(inp.words, start + 1)
        if found is not None:
            yield found[1], {"delta": found[0] if word == "plus" else -found[0]}


def read_code(inp: Input, start: int) -> Yield:
    """A confirmation code: "K7Q2" typed, or spelled by voice ("k seven q two", "kilo seven quebec two")."""
    if start < len(inp.words) and _looks_like_code(inp.words[start], inp.raws[start], typed_only=False):
        yield start + 1, {"code": inp.words[start].upper()}
    chars: list[str] = []
    for i in range(start, min(len(inp.words), start + 8)):
        char = _spelled_char(inp.words[i])
        if char is None:
            break
        chars.append(char)
        if len(chars) >= 4:
            yield i + 1, {"code": "".join(chars)}


def read_bare_code(inp: Input, start: int) -> Yield:
    """A code on its own must look like one as typed: uppercase letters and digits ("K7Q2")."""
    if start < len(inp.words) and _looks_like_code(inp.words[start], inp.raws[start], typed_only=True):
        yield start + 1, {"code": inp.words[start].upper()}


def _looks_like_code(word: str, raw: str, *, typed_only: bool) -> bool:
    if not (4 <= len(word) <= 8 and word.isascii() and word.isalnum()):
        return False
    has_digit = any(c.isdigit() for c in word)
    has_letter = any(c.isalpha() for c in word)
    if typed_only:
        return has_digit and has_letter and raw == raw.upper()
    return has_digit or raw == raw.upper()


def _spelled_char(word: str) -> str | None:
    if len(word) == 1 and word.isascii() and word.isalnum():
        return word.upper()
    if word in UNITS:
        return str(UNITS[word])
    return _NATO.get(word)


def read_topic(inp: Input, start: int) -> Yield:
    """A help topic by any of its names ("on scaling" -> "scale"; "scale web-prod" -> "scale"), else the words."""
    for end in range(start + 1, min(len(inp.words), start + 4) + 1):
        words = inp.words[start:end]
        if words[0] in _TOPIC_LEADS and len(words) > 1 and topic_of(" ".join(words)) is None:
            words = words[1:]
        phrase = " ".join(words)
        yield end, {"topic": topic_of(phrase) or topic_of(words[0]) or phrase}


def read_name(inp: Input, start: int) -> Yield:
    """One word that can only be a resource name ("web-prod", "db_2"), for a name typed on its own."""
    word = inp.words[start]
    if len(word) >= 3 and not is_digits(word) and any(c in word for c in "-_0123456789") and word[0].isalnum():
        yield start + 1, {"target": inp.raws[start]}


def read_remark(inp: Input, start: int) -> Yield:
    """A few words said in passing, unread ("silence 42 while we deploy, 45 min"), shortest first."""
    for end in range(start + 1, min(len(inp.words), start + 6) + 1):
        yield end, {}


def read_rest(inp: Input, start: int) -> Yield:
    """Whatever follows, unread: the rest of a command opsbot does not have yet ("deploy api v2 to prod")."""
    if start < len(inp.words):
        yield len(inp.words), {}


READERS: Mapping[str, Reader] = {
    "target": read_target,
    "destination": read_destination,
    "count": _number("count"),
    "limit_count": _number("limit_count"),
    "more": _number("delta"),
    "fewer": _number("delta", -1),
    "signed": read_signed,
    "alert_id": read_alert_id,
    "duration": read_duration,
    "code": read_code,
    "bare_code": read_bare_code,
    "topic": read_topic,
    "name": read_name,
    "rest": read_rest,
    "remark": read_remark,
    "scope": SCOPE,
    "search": SEARCH,
    "typed_search": TYPED_SEARCH,
    "cost": COST,
    "cost_tail": COST_TAIL,
    "cost_grouped": COST_GROUPED,
    "cost_day": COST_DAY,
    "cost_export": COST_EXPORT,
    "amount": read_amount,
    "budget_scope": read_budget_scope,
    "alert_scope": ALERT_SCOPE,
    "version": read_version,
    "service": read_service,
    "environment": read_environment,
    "reason": read_reason,
    "deploy_scope": read_deploy_scope,
    "severity": read_severity,
    "incident_id": read_incident_id,
    "note": read_note,
    **METRIC_READERS,
}
