"""Slot readers of deploys and rollbacks: a version as typed or spoken ("v2.4", "5.2.1", "a1b2c3d", "version two
point four"), a service said before its environment ("web prod"), an environment ("to production"), the period of
a deploy list ("deploys today") and a reason given for overriding a freeze ("... despite the freeze: fixes
checkout", "... because the wedding checkout is down").

The reason is free text, read to the end of the message: `reason_start` tells the parser where it begins, so that
what a reason says ("because it is not working") is never judged as the way the order itself was said."""

from __future__ import annotations

import re

from intents import vocab
from intents.filters import Bag
from intents.mood import names_nothing
from intents.numbers import NUMBER_WORDS, read_number
from intents.reading import CONNECTIVES, Input, Yield

_MAX_REASON = 200  # Slots.reason's own limit
# "v2.4", "2.4", "5.2.1", "v2.4.0-rc1", "v2"; a commit: 7 to 40 hex digits with a digit and a letter in them.
_DOTTED = re.compile(r"v?\d+(?:\.\d+)+(?:[-+][0-9a-z][0-9a-z.\-]*)?")
_V_NUMBER = re.compile(r"v\d+(?:[-+][0-9a-z][0-9a-z.\-]*)?")
_COMMIT = re.compile(r"(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}")
_VERSION_WORDS = frozenset({"version", "release", "build", "tag", "commit", "sha"})
_SPOKEN_POINT = frozenset({"point", "dot"})

# Environments a manifest may name besides the ones the rest of the language knows (vocab.ENVIRONMENTS).
_MORE_ENVIRONMENTS = {
    **dict.fromkeys(("dev", "development"), "dev"),
    **dict.fromkeys(("qa",), "qa"),
    **dict.fromkeys(("uat",), "uat"),
    **dict.fromkeys(("test", "testing"), "test"),
    **dict.fromkeys(("preprod", "pre-prod", "preproduction", "pre-production"), "preprod"),
    **dict.fromkeys(("sandbox",), "sandbox"),
}
_ENVIRONMENT_AFTER = frozenset({"environment", "env", "side", "stage", "cluster"})
# Words never a service's name, though nothing else rules them out ("roll back everything in prod").
_NOT_A_SERVICE = frozenset({"everything", "all", "anything", "something", "changes", "change", "last", "latest"})

_OVERRIDE_VERBS = frozenset(
    {"despite", "ignoring", "ignore", "overriding", "override", "bypassing", "bypass", "through", "during"}
)
# "the freeze", "the code freeze", "the deploy freeze window"
_FREEZE_WORDS = frozenset({"freeze", "freezes", "code", "change", "deploy", "deployment", "release"})
_BECAUSE: tuple[tuple[str, ...], ...] = (
    *(("reason", "being"), ("reason", "is"), ("because", "of"), ("because",), ("cause",), ("cuz",), ("coz",)),
    *(("reason",), ("since",), ("for",), ("as",), ("to",)),
)
# A reason said without a freeze: only after one of these ("deploy web v2.4 to prod because checkout is down").
_PLAIN_BECAUSE = frozenset({"because", "cause", "cuz", "coz", "reason"})
REASON_LEADS = _OVERRIDE_VERBS | _PLAIN_BECAUSE | {"freeze"}


def read_version(inp: Input, start: int) -> Yield:
    """A release as typed ("v2.4", "V2.4", "5.2.1", "a1b2c3d"), after "version" or "release" if said, or spoken
    ("two point four" -> "2.4", "v two point four" -> "v2.4")."""
    i = start
    if inp.words[i] in _VERSION_WORDS and i + 1 < len(inp.words):
        i += 1
        if inp.words[i].isdigit() and len(inp.words[i]) <= 6:  # "version 3": a number is a version once it is named
            yield i + 1, {"version": inp.raws[i]}
    word = inp.words[i]
    if _DOTTED.fullmatch(word) or _V_NUMBER.fullmatch(word) or _COMMIT.fullmatch(word):
        yield i + 1, {"version": inp.raws[i]}
        return
    prefix = ""
    if word == "v" and i + 1 < len(inp.words):  # "v 2.4" (a recogniser's spacing), "v two point four"
        prefix, i = inp.raws[i], i + 1
        if _DOTTED.fullmatch(inp.words[i]) and not inp.words[i].startswith("v"):
            yield i + 1, {"version": prefix + inp.raws[i]}
            return
    spoken = _spoken(inp.words, i)
    if spoken is not None:
        yield spoken[1], {"version": prefix + spoken[0]}


def _spoken(words: tuple[str, ...], start: int) -> tuple[str, int] | None:
    """ "two point four" -> ("2.4", index after); "five point two point one" -> "5.2.1". Needs one "point"."""
    if start >= len(words) or not (words[start] in NUMBER_WORDS or words[start].isdigit()):
        return None
    parts: list[str] = []
    i = start
    while True:
        number = read_number(words, i)
        if number is None:
            return None
        parts.append(str(number[0]))
        i = number[1]
        if i + 1 < len(words) and words[i] in _SPOKEN_POINT and read_number(words, i + 1) is not None:
            i += 1
            continue
        break
    return (".".join(parts), i) if len(parts) > 1 else None


def looks_like_version(word: str) -> bool:
    """Whether one word is a version as typed: never part of a service's name."""
    word = word.lower()
    return bool(_DOTTED.fullmatch(word) or _V_NUMBER.fullmatch(word) or _COMMIT.fullmatch(word))


def _environment_at(words: tuple[str, ...], i: int) -> tuple[str, int] | None:
    found = vocab.read_environment(words, i)
    if found is None and i < len(words) and words[i] in _MORE_ENVIRONMENTS:
        found = _MORE_ENVIRONMENTS[words[i]], i + 1
    return found


def read_environment(inp: Input, start: int) -> Yield:
    """Where a release goes: "prod", "production", "the staging environment", "qa"."""
    i = start + 1 if inp.words[start] == "the" else start
    found = _environment_at(inp.words, i)
    if found is None:
        return
    environment, end = found
    yield end, {"environment": environment}
    if end < len(inp.words) and inp.words[end] in _ENVIRONMENT_AFTER:
        yield end + 1, {"environment": environment}


def read_service(inp: Input, start: int) -> Yield:
    """One word naming a service, said before its environment ("roll back web prod", "rollback web in prod"):
    never a version, an environment or a word of the sentence."""
    i = start + 1 if inp.words[start] == "the" else start
    if i >= len(inp.words):
        return
    word = inp.words[i]
    if (
        word in CONNECTIVES
        or word in _NOT_A_SERVICE
        or names_nothing(word)
        or looks_like_version(word)
        or _environment_at(inp.words, i) is not None
        or not any(c.isalpha() for c in word)
    ):
        return
    yield i + 1, {"target": inp.raws[i]}


def read_reason(inp: Input, start: int) -> Yield:
    """Why a freeze is overridden, to the end of the message: "despite the freeze: fixes checkout", "override
    freeze because <why>", "freeze override: <why>", "because <why>"."""
    words = inp.words
    i = start
    if words[i] in _OVERRIDE_VERBS:
        i += 1
        i += 1 if i < len(words) and words[i] in ("the", "a", "this", "our", "prod", "production") else 0
        j = i
        while j < len(words) and words[j] in _FREEZE_WORDS and words[j] != "freeze":
            j += 1
        if j >= len(words) or words[j] not in ("freeze", "freezes"):
            return
        i = j + 1
        if i < len(words) and words[i] in ("window", "period"):
            i += 1
    elif words[i] == "freeze":
        if i + 1 >= len(words) or words[i + 1] not in ("override", "overridden", "overriding"):
            return
        i += 2
    elif words[i] not in _PLAIN_BECAUSE:
        return
    for lead in _BECAUSE:
        if words[i : i + len(lead)] == lead and i + len(lead) < len(words):
            i += len(lead)
            break
    if i < len(words):
        yield len(words), {"reason": " ".join(inp.raws[i:])[:_MAX_REASON]}


def reason_start(inp: Input, start: int, end: int) -> int | None:
    """Where, in inp.words[start:end], the reason a rule read begins: the order is judged on the words before it."""
    head = Input(inp.words[:end], inp.raws[:end])
    for i in range(start + 1, end):
        if inp.words[i] in REASON_LEADS and any(stop == end for stop, _ in read_reason(head, i)):
            return i
    return None


_DEPLOY_SCOPE = Bag(
    ("period", "environment"),
    frozenset({"in", "of", "for", "the", "so", "far", "running", "going", "on", "now", "done", "since"}),
)


def read_deploy_scope(inp: Input, start: int) -> Yield:
    """When and where a list of deploys looks: "today", "this week", "in prod"."""
    for end, values in _DEPLOY_SCOPE(inp, start):
        if values:
            yield end, values


def words() -> frozenset[str]:
    """The words these readers know (a recogniser's vocabulary; never slips of another word)."""
    known = _VERSION_WORDS | _SPOKEN_POINT | _ENVIRONMENT_AFTER | REASON_LEADS | _FREEZE_WORDS
    known |= frozenset(w for key in _MORE_ENVIRONMENTS for w in key.split("-"))
    known |= frozenset(w for lead in _BECAUSE for w in lead)
    return known | {"v", "window", "period", "override", "overridden"}
