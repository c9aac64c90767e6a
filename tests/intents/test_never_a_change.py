"""A change needs an order: the imperative of its verb with its object. Negated, asked, reported, supposed or
interjected, the same words are never a change - whatever else they are read as."""

from __future__ import annotations

import pytest

from core.models import CHANGING_INTENTS, IntentName
from intents.parser import parse

NEGATED = [
    "don't restart db-prod",
    "dont stop web-prod",
    "do not scale web-prod",
    "never shut down db-prod",
    "please don't restart db-prod",
    "no need to restart db-prod",
    "we should not restart db-prod",
    "restart db-prod, no wait",
    "stop web-prod, no wait",
    "scale web-prod to 20 - actually no",
    "scale web-prod to 20 no wait cancel",
    "never restart db-prod",
    "i said don't scale web-prod",
    "don't shut down web-prod",
    "do not fail over web-prod",
]
QUESTIONS = [
    "did bob scale web-prod?",
    "did bob scale web-prod",
    "should i restart api-prod",
    "should we scale web-prod to 20",
    "who restarted worker-prod",
    "can we stop web-staging?",
    "can we restart db-prod?",
    "is it safe to restart db-prod",
    "is it ok to restart db-prod",
    "restart db-prod?",
    "scale web-prod to 20?",
    "why did web-prod restart",
    "has anyone restarted db-prod",
    "do we need to fail over to dr?",
    "did someone restart db-prod",
    "why did you restart db-prod",
    "who restarted db-prod",
    "should i restart db-prod",
]
REPORTED = [
    "bob restarted web-prod",
    "we scaled web-prod yesterday",
    "i think someone stopped db-prod",
    "someone stopped db-prod",
    "i restarted db-prod already",
    "web-prod was restarted",
]
HYPOTHETICAL = [
    "if web-prod dies we fail over",
    "we might need to scale web-prod later",
    "when db-prod is back restart api-prod",
    "maybe restart db-prod later",
    "if needed scale web-prod to 10",
    "restart db-prod if it is slow",
    "scale web-prod to 30 tomorrow",
    "i will restart db-prod",
    "we are going to fail over to azure",
]
INTERJECTIONS = [
    "stop! web-prod is fine",
    "halt, db-prod is ok now",
    "stop db-prod from scaling",
    "stop web-prod is fine",
    "wait, stop",
    "stop stop stop",
    "stop. web-prod recovered",
    "restart! web-prod is fine",
    "start! web-prod is fine",
    "web-prod is fine, restart",
    "restart db-prod? or not",
    "shut down web-staging next week",
]
TYPOS = ["stat web-prod", "strat web-prod", "restrat db-prod", "stpo web-prod", "sacle web-prod to 5"]


@pytest.mark.parametrize("text", NEGATED + QUESTIONS + REPORTED + HYPOTHETICAL + INTERJECTIONS + TYPOS)
def test_never_a_change(text: str) -> None:
    intent = parse(text)
    assert intent.name not in CHANGING_INTENTS, (text, intent.name, intent.slots.present())


ORDERS = [
    ("restart db-prod", "restart", "db-prod"),
    ("can you restart db-prod", "restart", "db-prod"),
    ("can you restart db-prod?", "restart", "db-prod"),
    ("could you please restart db-prod", "restart", "db-prod"),
    ("would you stop web-staging", "stop", "web-staging"),
    ("stop web-staging", "stop", "web-staging"),
    ("stop web-staging now", "stop", "web-staging"),
    ("halt db-prod", "stop", "db-prod"),
    ("restart db-prod and report back", "restart", "db-prod"),
    ("ok, restart db-prod please", "restart", "db-prod"),
    ("restart db-prod, thanks", "restart", "db-prod"),
    ("scale web-prod to 20", "scale", "web-prod"),
    ("i need you to scale web-prod to 20", "scale", "web-prod"),
    ("fail over web-prod to dr", "failover", "web-prod"),
    ("shut down web-staging", "shutdown", "web-staging"),
    ("start web-staging", "start", "web-staging"),
    # a reason said with the order, before or after it
    ("restart db-prod, it's not responding", "restart", "db-prod"),
    ("stop api-staging, nobody is testing tonight", "stop", "api-staging"),
    ("kill worker-staging it's burning money", "shutdown", "worker-staging"),
    ("db-prod is stuck again, please restart it", "restart", "db-prod"),
    ("web-prod is on fire, emergency scale", "emergency_scale", "web-prod"),
    ("us-east-1 is down fail web-prod over to dr", "failover", "web-prod"),
    ("we're drowning emergency scale up the asg api-prod", "emergency_scale", "api-prod"),
]


@pytest.mark.parametrize(("text", "intent", "target"), ORDERS)
def test_the_order_itself_is_still_a_change(text: str, intent: str, target: str) -> None:
    parsed = parse(text)
    assert (parsed.name.value, parsed.slots.target) == (intent, target)


_VERBS = ("restart", "stop", "scale", "shut down", "fail over", "kill", "spin up", "turn off", "emergency scale")
_DONE = ("restarted", "stopped", "scaled", "shut down", "failed over", "killed", "spun up", "turned off")
_NAMES = ("web-prod", "db prod", "the api-staging group")
_SAID_NOT_ORDERED = (
    "don't {verb} {name}",
    "never {verb} {name}",
    "you don't need to {verb} {name}",
    "no no no don't {verb} {name}",
    "did bob {verb} {name}?",
    "should we {verb} {name}",
    "can we {verb} {name}?",
    "is it safe to {verb} {name}",
    "{verb} {name}?",
    "if {name} dies we {verb} it",
    "we might need to {verb} {name} later",
    "maybe {verb} {name} tomorrow",
    "{verb} {name} if it is slow",
    "once {name} is healthy, {verb} it",
    "i'm gonna {verb} {name}",
    "{verb} {name}, no wait",
    "{verb} {name} - actually no",
    "{verb} {name} jk",
    "{verb} {name}? or not",
    "{verb} {name}, the spike is huge - wait",
    "{verb} {name} — actually no",
)
_UNMARKED_REMARKS = (
    "{name} was slow so bob {done} it",
    "it got {done}",
    "{name} is fine dont {verb} it",
    "the plan is to {verb} {name}",
    "{name} is down should we {verb} it",
    "is it safe to {verb} {name} now",
    "carol {done} {name} on friday",
)
_REPORTED = ("bob {done} {name}", "we {done} {name} yesterday", "i think someone {done} {name}", "{name} was {done}")


@pytest.mark.parametrize("template", _SAID_NOT_ORDERED + _REPORTED + _UNMARKED_REMARKS)
def test_no_verb_said_that_way_is_a_change(template: str) -> None:
    lines = {template.format(verb=v, done=d, name=n) for v in _VERBS for d in _DONE for n in _NAMES}
    changes = {line: parse(line).name.value for line in lines if parse(line).name in CHANGING_INTENTS}
    assert not changes


def test_a_four_letter_typo_of_a_verb_that_acts_is_read_as_the_question_it_is_closest_to() -> None:
    parsed = parse("stat web-prod")
    assert (parsed.name, parsed.slots.target) == (IntentName.STATUS, "web-prod")


def test_a_negated_change_is_a_cancel_at_most() -> None:
    assert parse("don't restart db-prod").name is IntentName.CANCEL
