"""Silencing, escalating and taking the pager by voice: the grammar's sentences for them parse to what they say,
their words are in the recogniser's vocabulary, and espeak-ng speech of each is heard as its typed text."""

from __future__ import annotations

import re

import pytest

from core.models import IntentName
from intents.parser import parse
from tests.voice.test_accuracy import heard_as_meant, vocabulary
from voice.grammar import build_vocabulary, jsgf, sentence_matcher, spoken_number

# (what is said, the text it stands for)
SPOKEN = (
    ("silence alert four two for one hour", "silence alert 42 for 1 hour"),
    ("mute four two for thirty minutes", "mute 42 for 30 minutes"),
    ("mute four two for fifteen minutes", "mute 42 for 15 minutes"),  # not "fifty": the grammar offers no such length
    ("escalate alert four two", "escalate alert 42"),
    ("i will take tonight", "i'll take tonight"),
    ("i will cover tonight", "i'll cover tonight"),
    ("i will take the weekend", "i'll take the weekend"),
    ("i will be on call this weekend", "i'll be on call this weekend"),
)

_NUMBERS = {spoken_number(n): n for n in range(1, 100)}
_LENGTHS = {"half an hour": 1800, "an hour": 3600, "an hour and a half": 5400, "a day": 86400, "a minute": 60}
_UNIT = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}
_PERIODS = {"tonight": "tonight", "today": "today", "week": "week", "weekend": "weekend"}
# <number> stands for any alert number; these three are enough to see each way of saying one.
_ALERT_NUMBERS = {"four two": 42, "forty two": 42, "seven": 7}


@pytest.mark.parametrize("fmt", ["ogg_opus", "m4a_aac"])
@pytest.mark.parametrize(("said", "typed"), SPOKEN, ids=[s for s, _ in SPOKEN])
def test_each_spoken_alert_command_means_what_its_text_means(said: str, typed: str, fmt: str) -> None:
    assert heard_as_meant(said, typed, fmt)


@pytest.mark.parametrize(("said", "typed"), SPOKEN, ids=[s for s, _ in SPOKEN])
def test_each_spoken_form_is_a_grammar_sentence_with_the_typed_meaning(said: str, typed: str) -> None:
    assert sentence_matcher(vocabulary())(said)
    heard, meant = parse(said), parse(typed)
    assert (heard.name, heard.slots) == (meant.name, meant.slots)
    assert heard.confidence >= 0.95


@pytest.mark.parametrize(
    ("rule", "intent"),
    [("silence", IntentName.SILENCE), ("escalate", IntentName.ESCALATE), ("take_oncall", IntentName.TAKE_ONCALL)],
)
def test_every_sentence_of_the_new_grammar_rules_parses_to_what_it_says(rule: str, intent: IntentName) -> None:
    sentences = _sentences(rule)
    assert sentences
    for sentence in sentences:
        parsed = parse(sentence)
        assert (parsed.name, parsed.confidence >= 0.95) == (intent, True), sentence
        assert parsed.slots.present() == _meaning(sentence), sentence


def test_the_words_of_the_new_commands_are_in_the_vocabulary() -> None:
    vocab = build_vocabulary(["web-prod"])
    said = ("silence mute escalate alert for minutes hour hours half an day i will take cover be on call the pager "
            "tonight today this week weekend fifteen thirty")  # fmt: skip
    assert set(said.split()) <= set(vocab.words)
    for phrase in ("this weekend", "the weekend", "half an hour", "thirty minutes", "be", "escalate", "mute"):
        assert phrase in vocab.phrases


@pytest.mark.parametrize(
    "text",
    [
        "silence for one hour",  # which alert?
        "mute four two for",
        "silence four two for fifty minutes",  # said like "fifteen": only the lengths people use are offered
        "silence four two for four two hours",
        "escalate",
        "i will take",
        "i will take the pager",
        "i will take next weekend",
        "you will take the weekend",
    ],
)
def test_partial_or_risky_sentences_are_not_grammar_commands(text: str) -> None:
    assert not sentence_matcher(vocabulary())(text)


def _sentences(name: str) -> list[str]:
    """Every sentence of the JSGF rule `name`, with <number> as a few alert numbers."""
    rules = dict(re.findall(r"^<(\w+)> = (.*);$", jsgf(vocabulary()), flags=re.MULTILINE))
    rules["number"] = " | ".join(_ALERT_NUMBERS)
    return sorted({" ".join(s.split()) for s in _expand(re.findall(r"<\w+>|[()\[\]|]|[a-z]+", rules[name]), rules)})


def _expand(tokens: list[str], rules: dict[str, str]) -> list[str]:
    alternatives, rest = _alternatives(tokens, rules)
    assert not rest, rest
    return alternatives


def _alternatives(tokens: list[str], rules: dict[str, str]) -> tuple[list[str], list[str]]:
    out: list[str] = []
    while True:
        sequence, tokens = _sequence(tokens, rules)
        out.extend(sequence)
        if not tokens or tokens[0] != "|":
            return out, tokens
        tokens = tokens[1:]


def _sequence(tokens: list[str], rules: dict[str, str]) -> tuple[list[str], list[str]]:
    out = [""]
    while tokens and tokens[0] not in ("|", ")", "]"):
        token, tokens = tokens[0], tokens[1:]
        if token in ("(", "["):
            inner, tokens = _alternatives(tokens, rules)
            tokens = tokens[1:]  # the closing bracket
            options = [*inner, ""] if token == "[" else inner
        elif token.startswith("<"):
            options = _expand(re.findall(r"<\w+>|[()\[\]|]|[a-z]+", rules[token[1:-1]]), rules)
        else:
            options = [token]
        out = [f"{head} {option}" for head in out for option in options]
    return out, tokens


def _meaning(sentence: str) -> dict[str, object]:
    """The slots a sentence of the new rules stands for, read without the text parser."""
    if sentence.startswith("i will"):
        return {"period": _PERIODS[sentence.split()[-1]]}
    head, _, length = sentence.partition(" for ")
    words = head.split()
    number = " ".join(words[2:] if words[1] == "alert" else words[1:])
    slots: dict[str, object] = {"alert_id": _ALERT_NUMBERS[number]}
    if length:
        amount, _, unit = length.rpartition(" ")
        slots["duration_seconds"] = _LENGTHS.get(length) or _NUMBERS[amount] * _UNIT[unit]
    return slots
