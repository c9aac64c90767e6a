"""A scale that also moves a group's own limit is read only from words that say so ("... and raise the max"), typed
or as a recogniser writes speech (numbers in words, no hyphens); the same words said as a question, a plan, a
report or a negation are no change, and a plain scale carries no limit."""

from __future__ import annotations

import pytest

from core.models import CHANGING_INTENTS, IntentName
from intents.parser import parse


@pytest.mark.parametrize(
    ("text", "target", "count", "limit", "limit_count"),
    [
        ("scale web-prod to 20 and raise the max", "web-prod", 20, "max", None),
        ("scale web-prod to 20 raising max to 20", "web-prod", 20, "max", 20),
        ("scale web-prod to 0 and lower the min", "web-prod", 0, "min", None),
        ("scale web prod to twenty and raise the maximum", "web prod", 20, "max", None),
        ("scale web prod to zero and lower the minimum", "web prod", 0, "min", None),
        ("scale web-prod to 20 instances and raise the max to 20 instances", "web-prod", 20, "max", 20),
        ("scale web-prod to 20 and raise the max too", "web-prod", 20, "max", None),
        ("scale up web-prod to 20 and bump the limit", "web-prod", 20, "max", None),
        ("scale web-prod to 20 with a higher max", "web-prod", 20, "max", None),
        ("scale web-prod to 20 with a max of 20", "web-prod", 20, "max", 20),
        ("resize web-prod to 20 and increase its max size", "web-prod", 20, "max", None),
        ("take worker-prod down to 0 and lower the minimum", "worker-prod", 0, "min", None),
        ("raise the max and scale web-prod to 20", "web-prod", 20, "max", None),
        ("raise the max of web-prod to 20 and scale it to 20", "web-prod", 20, "max", 20),
        ("lower the min of worker-prod and scale it to 0", "worker-prod", 0, "min", None),
        ("can you scale web-prod to 20 and raise the max", "web-prod", 20, "max", None),
        ("please scale web-prod to 20 and raise the max", "web-prod", 20, "max", None),
    ],
)
def test_the_words_that_move_a_limit(text: str, target: str, count: int, limit: str, limit_count: int | None) -> None:
    intent = parse(text)
    assert intent.name is IntentName.SCALE, (text, intent)
    slots = intent.slots
    assert (slots.target, slots.count, slots.limit, slots.limit_count) == (target, count, limit, limit_count), text


@pytest.mark.parametrize(
    "text",
    [
        "should I raise the max of web-prod?",
        "should we scale web-prod to 20 and raise the max?",
        "can we scale web-prod to 20 and raise the max?",
        "don't scale web-prod to 20 and raise the max",
        "bob scaled web-prod to 20 and raised the max",
        "if web-prod is full we scale it to 20 and raise the max",
        "we might scale web-prod to 20 and raise the max later",
        "scale web-prod to 20 and raise the max, no wait",
        "who raised the max of web-prod?",
        "raise the max of web-prod",
    ],
)
def test_the_same_words_not_said_as_an_order_change_nothing(text: str) -> None:
    intent = parse(text)
    assert intent.name not in CHANGING_INTENTS, (text, intent)


@pytest.mark.parametrize(
    "text",
    ["scale web-prod to 20", "scale web-prod to the max", "set web-prod to 20", "scale web-prod to 20, raise max"],
)
def test_without_the_words_in_its_own_clause_a_scale_moves_no_limit(text: str) -> None:
    intent = parse(text)
    assert intent.slots.limit is None and intent.slots.limit_count is None, (text, intent)
