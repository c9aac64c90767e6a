"""Typing can be sloppy, acting cannot: a typo of a word that asks is corrected, a typo of a verb that acts (or
of the bot's own timings) is not guessed at all, and an unknown word never turns what follows into another
command."""

from __future__ import annotations

import pytest

from core.models import CHANGING_INTENTS, IntentName
from intents.grammar import FIRST_WORDS, rules_for
from intents.help import hint
from intents.parser import parse

ACTS = CHANGING_INTENTS | {IntentName.ACK, IntentName.RESOLVE, IntentName.SILENCE, IntentName.ESCALATE}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("stauts", "status"),
        ("staus", "status"),
        ("stauts of prod", "status"),
        ("serach web", "search"),
        ("serach stopped instances", "search"),
        ("forcast", "forecast"),
        ("alrets", "alerts"),
        ("shwo web-prod", "show"),  # two letters swapped
        ("lsit stopped instances", "search"),
    ],
)
def test_a_typo_of_a_question_is_corrected(text: str, intent: str) -> None:
    parsed = parse(text)
    assert parsed.name.value == intent
    assert parsed.confidence < 0.95


@pytest.mark.parametrize(
    "text",
    [
        "restrat db-prod",
        "scael web-prod to 20",
        "sclae web-prod 20",
        "strat web-staging",  # start or state? neither
        "stpo web-prod",
        "reboto db-prod",
        "shutdwon web-staging",
        "failvoer web-prod to dr",
        "acknowlege 42",
        "esclate 42",
    ],
)
def test_a_typo_of_a_verb_that_acts_is_not_understood(text: str) -> None:
    assert parse(text).name is IntentName.UNKNOWN


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("restrat db-prod", "restart db-prod"),
        ("scael web-prod to 20", "scale web-prod to 20"),
        ("acknowlege 42", "acknowledge 42"),
    ],
)
def test_a_typo_of_a_verb_that_acts_shows_the_command_it_would_be(text: str, meant: str) -> None:
    parsed = parse(text)
    assert (parsed.name, parsed.slots.topic) == (IntentName.UNKNOWN, meant)
    assert (
        hint(parsed.slots.topic)
        == f"I didn't get that. Did you mean '{meant}'? A typo is never taken for a command: type it again."
    )


@pytest.mark.parametrize("text", ["stauts of prod", "statsu", "stuats", "perfromance", "sttaus"])
def test_a_typo_never_shows_the_bots_own_timings(text: str) -> None:
    assert parse(text).name is not IntentName.PERF


@pytest.mark.parametrize("text", ["frobnicate web-prod", "zorp web-prod", "yeet db-prod", "purge web-staging"])
def test_an_unknown_word_does_not_make_a_bare_name_a_command(text: str) -> None:
    assert parse(text).name is IntentName.UNKNOWN


def _misspellings(word: str) -> set[str]:
    """Every one-letter deletion and every swap of neighbours."""
    deleted = {word[:i] + word[i + 1 :] for i in range(len(word))}
    swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
    return (deleted | swapped) - {word}


ACT_VERBS = sorted(
    w for w in FIRST_WORDS if len(w) >= 5 and w.isalpha() and any(r.intent in ACTS for r in rules_for(w))
)


@pytest.mark.parametrize("verb", ACT_VERBS)
def test_no_misspelt_verb_that_acts_becomes_an_act(verb: str) -> None:
    for typo in sorted(_misspellings(verb)):
        parsed = parse(f"{typo} web-prod")
        assert parsed.name not in ACTS or typo in FIRST_WORDS, (typo, parsed.name)
