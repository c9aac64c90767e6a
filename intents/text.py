"""From raw chat text to a short list of tokens: bounded, lowercase, without mentions, slash-command
prefixes, contractions or polite filler. Each token keeps the text as typed, for resource names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

from intents.numbers import NUMBER_WORDS

# Commands are a few words; anything longer is a paste, answered as not understood without reading it all.
MAX_CHARS = 400
MAX_TOKENS = 24


class Token(NamedTuple):
    word: str  # lowercase, normalised
    raw: str  # as typed
    ends_clause: bool = False  # punctuation follows it ("stop!", "halt,"): what comes next is another clause
    asks: bool = False  # a question mark follows it ("restart db-prod? or not")


class Prepared(NamedTuple):
    tokens: tuple[Token, ...]
    question: bool  # the text ended with "?" ("scale?" asks for help on scaling)
    too_long: bool
    request: bool = False  # a polite request was dropped in front ("can you ...", "could you please ...")


_MENTION = re.compile(r"<[@#!][^>]*>|(?<![\w.])@[\w.\-]+")
_SLASH_COMMAND = re.compile(r"^\s*/(\w+)(?:@[\w.]+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_TOKEN = re.compile(r"[+\-]?\w+(?:['.\-_/:=]\w+)*")  # "team=payments" stays one word: a tag filter
_EMOJI = str.maketrans({"👍": " yes ", "✅": " yes ", "✔": " yes ", "👎": " no ", "❌": " no ", "✖": " no "})
_CLAUSE_END = re.compile(r"[,!.;?…]|\s[-–—]+\s|[–—]")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "´": "'", "`": "'"})

BOT_NAMES = frozenset({"ops", "opsbot", "ops-bot", "bot"})
_GREETINGS = frozenset({"hey", "hi", "hello", "yo", "ok", "okay", "dear"})

# Slips of the keyboard in the small words around a command ("hte", "nwo", "yuo"): never a verb that acts.
_SLIPS: dict[str, str] = {
    **dict.fromkeys(("teh", "hte"), "the"),
    **dict.fromkeys(("nwo", "noe"), "now"),
    **dict.fromkeys(("yuo", "yu", "u"), "you"),
    **dict.fromkeys(("plese", "pleas", "pleae", "plase", "pleeze", "pleaes"), "please"),
    **dict.fromkeys(("rigth", "rihgt"), "right"),
    **dict.fromkeys(("wiht", "whit"), "with"),
    **dict.fromkeys(("agian", "agin"), "again"),
    **dict.fromkeys(("tonite", "2night"), "tonight"),
    **dict.fromkeys(("thnx", "thanx", "tx"), "thx"),
    **dict.fromkeys(("thansk", "thnaks", "thanks", "tahnks"), "thanks"),
}
_CONTRACTIONS: dict[str, tuple[str, ...]] = {
    "how's": ("how", "is"),
    "hows": ("how", "is"),
    "what's": ("what", "is"),
    "whats": ("what", "is"),
    "who's": ("who", "is"),
    "whos": ("who", "is"),
    "where's": ("where", "is"),
    "wheres": ("where", "is"),
    "it's": ("it", "is"),
    "that's": ("that", "is"),
    "there's": ("there", "is"),
    "what're": ("what", "are"),
    "we're": ("we", "are"),
    "they're": ("they", "are"),
    "you're": ("you", "are"),
    "he's": ("he", "is"),
    "she's": ("she", "is"),
    "didn't": ("did", "not"),
    "didnt": ("did", "not"),
    "doesn't": ("does", "not"),
    "doesnt": ("does", "not"),
    "shouldn't": ("should", "not"),
    "wasn't": ("was", "not"),
    "haven't": ("have", "not"),
    "i'm": ("i", "am"),
    "i'll": ("i", "will"),
    "i've": ("i", "have"),
    "i'd": ("i", "would"),
    "let's": ("let", "us"),
    "lets": ("let", "us"),
    "don't": ("do", "not"),
    "dont": ("do", "not"),
    "can't": ("can", "not"),
    "isn't": ("is", "not"),
    "aren't": ("are", "not"),
    "won't": ("will", "not"),
    # hyphenated and joined spellings of our own keywords
    "on-call": ("oncall",),
    "power-cycle": ("power", "cycle"),
    "hard-reboot": ("hard", "reboot"),
    "shut-down": ("shutdown",),
    "fail-over": ("failover",),
    "scale-up": ("scale", "up"),
    "scale-down": ("scale", "down"),
    "scale-out": ("scale", "out"),
    "scale-in": ("scale", "in"),
    "scaleup": ("scale", "up"),
    "scaledown": ("scale", "down"),
    "health-check": ("healthcheck",),
    "never-mind": ("nevermind",),
    "cost-forecast": ("cost", "forecast"),
}

# Politeness and hurry carry no meaning for the command; dropped at the start and the end.
_LEADING_FILLER: tuple[tuple[str, ...], ...] = (
    ("can", "you", "please"),
    ("could", "you", "please"),
    ("would", "you", "please"),
    ("i", "would", "like", "to"),
    ("i", "want", "to"),
    ("i", "need", "to"),
    ("i", "need", "you", "to"),
    ("we", "need", "to"),
    ("we", "have", "to"),
    ("i", "have", "to"),
    ("can", "you"),
    ("could", "you"),
    ("would", "you"),
    ("will", "you"),
    ("can", "u"),
    ("let", "us"),
    ("go", "and"),
    ("sorry", "to", "bug", "you"),
    ("sorry", "to", "bother", "you"),
    ("quick", "one"),
    ("quick", "question"),
    ("i", "would", "like", "you", "to"),
    ("i", "want", "you", "to"),
    ("go", "ahead", "and"),
    ("urgent",),
    ("like",),
    ("quick",),
    ("good", "morning"),
    ("right", "so"),
    ("hey", "there"),
    ("please",),
    ("pls",),
    ("plz",),
    ("kindly",),
    ("hey",),
    ("hi",),
    ("hello",),
    ("yo",),
    ("morning",),
    ("hmm",),
    ("hm",),
    ("btw",),
    ("fyi",),
    ("just",),
    ("quickly",),
    ("so",),
    ("um",),
    ("umm",),
    ("uh",),
    ("uhm",),
    ("er",),
    ("erm",),
    ("ah",),
    ("oh",),
    ("hmm",),
    ("well",),
    ("ok",),
    ("okay",),
    ("alright",),
)
_COURTESY = frozenset({"please", "pls", "plz", "kindly", "asap", "rn", "again", "thx", "quickly"})
# "can you restart db-prod?" asks opsbot to act; "can we restart db-prod?" asks whether it is wise.
_REQUESTS = frozenset(p for p in _LEADING_FILLER if p[0] in ("can", "could", "would", "will") and p[1] in ("you", "u"))
_TRAILING_FILLER: tuple[tuple[str, ...], ...] = (
    ("right", "now"),
    ("real", "quick"),
    ("pretty", "please"),
    ("until", "further", "notice"),
    ("already",),
    ("quick",),
    ("for", "now"),
    ("right", "away"),
    ("thanks", "a", "lot"),
    ("thank", "u"),
    ("rn",),
    ("tia",),
    ("thank", "you"),
    ("thanks",),
    ("thx",),
    ("ty",),
    ("cheers",),
    ("for", "me"),
    ("please",),
    ("pls",),
    ("plz",),
    ("now",),
    ("asap",),
    ("again",),
    ("immediately",),
    ("quickly",),
)


def prepare(text: str) -> Prepared:
    """Tokens of `text`. Reads at most MAX_CHARS characters, whatever the input size."""
    head = text[: MAX_CHARS + 1].strip()
    if len(head) > MAX_CHARS:
        return Prepared((), question=False, too_long=True)
    head = unicodedata.normalize("NFKC", head).translate(_QUOTES).translate(_EMOJI)
    question = head.rstrip().endswith("?")
    head = _MENTION.sub(" ", head)
    head = _SLASH_COMMAND.sub(lambda m: " " + m.group(1) + " ", head, count=1)
    head = _THOUSANDS.sub("", head)
    tokens: list[Token] = []
    previous_end = 0
    for found in _TOKEN.finditer(head):
        if tokens and _CLAUSE_END.search(head, previous_end, found.start()):
            asks = "?" in head[previous_end : found.start()]
            tokens[-1] = tokens[-1]._replace(ends_clause=True, asks=asks)
        tokens.extend(_expand(found.group(0)))
        previous_end = found.end()
        if len(tokens) > MAX_TOKENS + 8:
            return Prepared((), question=question, too_long=True)
    if tokens and question:
        tokens[-1] = tokens[-1]._replace(asks=True)
    tokens = _strip_address(tokens)
    tokens, request = _strip_filler(_without_courtesy(tokens))
    if len(tokens) > MAX_TOKENS:
        return Prepared((), question=question, too_long=True)
    return Prepared(tuple(tokens), question=question, too_long=False, request=request)


def _expand(raw: str) -> list[Token]:
    word = raw.lower()
    if word in _SLIPS:
        return [Token(_SLIPS[word], _SLIPS[word])]
    if word in _CONTRACTIONS:
        return [Token(w, w) for w in _CONTRACTIONS[word]]
    if word.endswith("'s"):  # possessive: "web-prod's status"
        return [Token(word[:-2], raw[:-2])]
    if "'" in word:
        word = word.replace("'", "")
        raw = raw.replace("'", "")
    if "-" in word[1:]:
        parts = word.split("-")
        if all(p in NUMBER_WORDS for p in parts):  # "forty-two"
            return [Token(p, p) for p in parts]
    return [Token(word, raw)]


def _without_courtesy(tokens: list[Token]) -> list[Token]:
    """Without "please", "asap", "again" in the middle ("add two servers pls, latency is ..."): they carry no
    meaning for a command. A clause ending on one ends on the word before it."""
    kept: list[Token] = []
    for i, token in enumerate(tokens):
        right_now = token.word == "right" and i + 1 < len(tokens) and tokens[i + 1].word == "now"
        said_now = token.word == "now" and i > 0 and tokens[i - 1].word == "right"
        if right_now or said_now or (token.word in _COURTESY and len(tokens) > 1):  # "... right now, it's leaking"
            if token.ends_clause and kept:
                kept[-1] = kept[-1]._replace(ends_clause=True, asks=kept[-1].asks or token.asks)
            continue
        kept.append(token)
    return kept or tokens


def _strip_address(tokens: list[Token]) -> list[Token]:
    """ "hey opsbot, status" / "ops status" (from "/ops status") -> "status"."""
    start = 0
    if len(tokens) > 1 and tokens[0].word in _GREETINGS and tokens[1].word in BOT_NAMES:
        start = 1
    if len(tokens) > start + 1 and tokens[start].word in BOT_NAMES:
        start += 1
    return tokens[start:]


def clauses(tokens: Sequence[Token]) -> list[tuple[int, int]]:
    """(start, end) of each clause: the runs of tokens between punctuation ("stop api-staging, nobody is ...")."""
    found: list[tuple[int, int]] = []
    start = 0
    for i, token in enumerate(tokens):
        if token.ends_clause or i == len(tokens) - 1:
            found.append((start, i + 1))
            start = i + 1
    return found


def filler_bounds(words: Sequence[str]) -> tuple[int, int, bool]:
    """(start, end) of `words` without filler at either end, and whether a polite request ("can you") was in it."""
    start, end = 0, len(words)
    request = False
    changed = True
    while changed:
        changed = False
        if tuple(words[start : start + 3]) == ("can", "we", "get") and end - start > 3:  # asks for, not whether
            start += 2
            request = changed = True
        for phrase in _LEADING_FILLER:
            n = len(phrase)
            if end - start > n and tuple(words[start : start + n]) == phrase:
                start += n
                request = request or phrase in _REQUESTS
                changed = True
                break
        for phrase in _TRAILING_FILLER:
            n = len(phrase)
            if end - start > n and tuple(words[end - n : end]) == phrase:
                end -= n
                changed = True
                break
    return start, end, request


def _strip_filler(tokens: list[Token]) -> tuple[list[Token], bool]:
    start, end, request = filler_bounds([t.word for t in tokens])
    return tokens[start:end], request
