"""Natural phrasing at 3 a.m.: the same commands said as sentences, with politeness, filler, typos around the
command, a kind in front of the name and a reason after it; and chat that is not for opsbot stays `unknown`."""

from __future__ import annotations

import pytest

from intents.parser import parse

S = dict[str, object]

PARAPHRASES: list[tuple[str, str, S]] = [
    # an overview of an environment
    ("give me an overview of prod", "status", {"environment": "prod"}),
    ("how's prod looking", "status", {"environment": "prod"}),
    ("summary for staging", "status", {"environment": "staging"}),
    ("show me a prod overview", "status", {"environment": "prod"}),
    ("everything ok in gcp?", "status", {"provider": "gcp"}),
    ("give me a status update on prod", "status", {"environment": "prod"}),
    # relative scaling with other verbs
    ("spin up 5 more web-prod", "scale", {"target": "web-prod", "delta": 5}),
    ("bump web-prod by 3", "scale", {"target": "web-prod", "delta": 3}),
    ("drop worker-prod by 2", "scale", {"target": "worker-prod", "delta": -2}),
    ("add two more to api-prod", "scale", {"target": "api-prod", "delta": 2}),
    ("throw 8 more boxes at worker-prod", "scale", {"target": "worker-prod", "delta": 8}),
    ("trim 4 boxes off api-staging, nobody is using it tonight", "scale", {"target": "api-staging", "delta": -4}),
    ("we need three more instances on web-prod", "scale", {"target": "web-prod", "delta": 3}),
    ("web-canary needs twelve more nodes, can you add them", "scale", {"target": "web-canary", "delta": 12}),
    ("take worker-prod down to 3", "scale", {"target": "worker-prod", "count": 3}),
    ("put web prod at twenty seven instances for the wedding rush", "scale", {"target": "web prod", "count": 27}),
    ("can we get worker-prod up to 15 instances?", "scale", {"target": "worker-prod", "count": 15}),
    ("increase the size of api-prod to 10", "scale", {"target": "api-prod", "count": 10}),
    # emergency capacity as a sentence
    ("we need more capacity on web-prod asap", "emergency_scale", {"target": "web-prod"}),
    ("web-prod needs emergency capacity", "emergency_scale", {"target": "web-prod"}),
    ("max out web-prod now, it's an emergency", "emergency_scale", {"target": "web-prod"}),
    ("get as much capacity as you can onto web-prod right now", "emergency_scale", {"target": "web-prod"}),
    ("web-prod is on fire, emergency scale", "emergency_scale", {"target": "web-prod"}),
    # disaster recovery without "fail over"
    ("move web-prod to dr", "failover", {"target": "web-prod", "destination": "dr"}),
    ("send traffic to the dr site", "failover", {"destination": "dr"}),
    ("switch to azure", "failover", {"destination": "azure"}),
    ("go to dr", "failover", {"destination": "dr"}),
    ("activate dr for api-prod", "failover", {"target": "api-prod", "destination": "dr"}),
    ("we have to go to dr now, move api-prod over", "failover", {"target": "api-prod", "destination": "dr"}),
    # spend questions
    ("what costs the most", "cost", {"group_by": "service"}),
    ("top spenders", "cost", {"group_by": "resource"}),
    ("which service costs us the most?", "cost", {"group_by": "service"}),
    ("rank the clouds by spend", "cost", {"group_by": "provider"}),
    ("the bill", "cost", {}),
    ("our aws bill this month", "cost", {"provider": "aws", "period": "this_month"}),
    ("how much did azure charge us yesterday", "cost", {"provider": "azure", "period": "yesterday"}),
    ("budget", "budget", {}),
    ("are we going to blow the budget this month", "forecast", {"period": "this_month"}),
    ("how much will the bill be at the end of the month", "forecast", {"period": "this_month"}),
    ("will we go over budget", "forecast", {}),
    # an ack inside a longer sentence
    ("ok i'm on it, acking 42", "ack", {"alert_id": 42}),
    ("got it, ack 17 pls", "ack", {"alert_id": 17}),
    ("acknowledge 12 please, i'm looking", "ack", {"alert_id": 12}),
    ("all good now, close alert 45", "resolve", {"alert_id": 45}),
    ("escalate 42, i'm stuck in traffic", "escalate", {"alert_id": 42}),
    ("silence 248 while we deploy, 45 min", "silence", {"alert_id": 248, "duration_seconds": 2700}),
    ("42 needs more eyes, escalate it", "escalate", {"alert_id": 42}),
    ("hand 42 to the next person", "escalate", {"alert_id": 42}),
    ("42 is sorted, close it", "resolve", {"alert_id": 42}),
    ("shwo me web-prod", "show", {"target": "web-prod"}),
    ("what's web-prod costing us", "cost", {"target": "web-prod"}),
    ("add 4 more boxes to web-prod for the launch", "scale", {"target": "web-prod", "delta": 4}),
    ("we need 20 web-prod instances", "scale", {"target": "web-prod", "count": 20}),
    # a resource named with its kind in front (or behind)
    ("restart the database db-prod", "restart", {"target": "db-prod"}),
    ("scale the asg web-prod to 5", "scale", {"target": "web-prod", "count": 5}),
    ("show instance web-prod-vm-3", "show", {"target": "web-prod-vm-3"}),
    ("resize the node pool api-prod to 9", "scale", {"target": "api-prod", "count": 9}),
    ("restart the web-prod group", "restart", {"target": "web-prod"}),
    # politeness, filler, emoji, slips around the command, numbers in words
    ("hey opsbot can you pls restart db-prod", "restart", {"target": "db-prod"}),
    ("ok so restart db-prod", "restart", {"target": "db-prod"}),
    ("sorry to bug you, restart db-prod 🙏", "restart", {"target": "db-prod"}),
    ("restart db-prod thx", "restart", {"target": "db-prod"}),
    ("scale web-prod to twenty", "scale", {"target": "web-prod", "count": 20}),
    ("add six instnaces to worker prod", "scale", {"target": "worker prod", "delta": 6}),
    ("reboot teh instance db-prod, it's hung", "restart", {"target": "db-prod"}),
    ("hard reboot db-prod ssh is dead", "restart", {"target": "db-prod"}),
    ("db-prod is stuck again, please restart it", "restart", {"target": "db-prod"}),
    ("please stop db-prod, we don't need it over the weekend", "stop", {"target": "db-prod"}),
    ("take a snapshot of db-prod", "not_yet", {"topic": "take backups"}),
]


@pytest.mark.parametrize(("text", "intent", "slots"), PARAPHRASES)
def test_a_paraphrase_is_read_as_the_command(text: str, intent: str, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name.value, parsed.slots.present()) == (intent, slots)


@pytest.mark.parametrize(
    "text",
    [
        "what's the time in tokyo",
        "who won the game",
        "what is love",
        "thanks",
        "lol",
        "what is the weather",
        "how is the weather",
        "how are you",
        "is slack down",
        "what's 17 times 23",
        "how do you spell kubernetes?",
        "long night",
        "purple monkey dishwasher",
        "switch to decaf",
        "fail over to lunch",
        "restart the game",
    ],
)
def test_chat_that_is_not_for_opsbot_is_not_understood(text: str) -> None:
    assert parse(text).name.value == "unknown"


def test_it_is_an_alert_only_when_an_alert_was_named() -> None:
    parsed = parse("we scaled to 20, ack it")
    assert (parsed.name.value, parsed.slots.alert_id) == ("ack", None)
