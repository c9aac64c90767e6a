"""The command language, phrasing by phrasing: what an engineer types or says -> intent and slots."""

from __future__ import annotations

import pytest

from intents.parser import parse

S = dict[str, object]

STATUS: list[tuple[str, str, S]] = [
    ("status", "status", {}),
    ("status of prod", "status", {"environment": "prod"}),
    ("status of production", "status", {"environment": "prod"}),
    ("status staging", "status", {"environment": "staging"}),
    ("status of disaster recovery", "dr_status", {}),  # the standbys' readiness (issue 15)
    ("how is aws doing", "status", {"provider": "aws"}),
    ("how's azure", "status", {"provider": "azure"}),
    ("how’s azure?", "status", {"provider": "azure"}),
    ("is gcp ok", "status", {"provider": "gcp"}),
    ("is google cloud up", "status", {"provider": "gcp"}),
    ("is amazon down", "status", {"provider": "aws"}),
    ("is microsoft healthy", "status", {"provider": "azure"}),
    ("prod status", "status", {"environment": "prod"}),
    ("aws status", "status", {"provider": "aws"}),
    ("status eu-west-1", "status", {"region": "eu-west-1"}),
    ("status of prod in aws", "status", {"environment": "prod", "provider": "aws"}),
    ("health check", "status", {}),
    ("how is everything", "status", {}),
    ("how are things going", "status", {}),
    ("is everything ok", "status", {}),
    ("what's up with prod", "status", {"environment": "prod"}),
    ("whats going on", "status", {}),
    ("anything broken in staging", "status", {"environment": "staging"}),
    ("any problems", "status", {}),
    ("sitrep", "status", {}),
    ("overview", "status", {}),
    ("check prod", "status", {"environment": "prod"}),
    ("show me the status of azure", "status", {"provider": "azure"}),
    ("status us east one", "status", {"region": "us-east-1"}),
    ("how is west europe doing", "status", {"region": "westeurope"}),
]

SEARCH: list[tuple[str, str, S]] = [
    ("find web", "search", {"query": "web"}),
    ("search web", "search", {"query": "web"}),
    ("search for web-prod", "search", {"query": "web-prod"}),
    ("look up billing", "search", {"query": "billing"}),
    ("list stopped instances in gcp", "search", {"state": "stopped", "kind": "instance", "provider": "gcp"}),
    (
        "show running databases in eu-west-1",
        "search",
        {"state": "running", "kind": "database", "region": "eu-west-1"},
    ),
    ("list all disks", "search", {"kind": "disk"}),
    ("list load balancers in azure", "search", {"kind": "load_balancer", "provider": "azure"}),
    ("list groups in prod", "search", {"kind": "group", "environment": "prod"}),
    ("which instances are stopped", "search", {"kind": "instance", "state": "stopped"}),
    ("what is running in aws", "search", {"state": "running", "provider": "aws"}),
    ("show me degraded vms", "search", {"state": "degraded", "kind": "instance"}),
    ("how many instances are running in gcp", "search", {"kind": "instance", "state": "running", "provider": "gcp"}),
    ("any stopped servers in staging", "search", {"state": "stopped", "kind": "instance", "environment": "staging"}),
    ("stopped instances in gcp", "search", {"state": "stopped", "kind": "instance", "provider": "gcp"}),
    ("find unattached volumes", "search", {"state": "available", "kind": "disk"}),
    ("find web in aws", "search", {"query": "web", "provider": "aws"}),
    ("find web instances in us east one", "search", {"query": "web", "kind": "instance", "region": "us-east-1"}),
    ("list", "search", {}),
    ("find", "search", {}),
    ("list scale sets", "search", {"kind": "group"}),
    ("list autoscaling groups on amazon", "search", {"kind": "group", "provider": "aws"}),
]

SHOW: list[tuple[str, str, S]] = [
    ("show db-prod", "show", {"target": "db-prod"}),
    ("show me web-prod", "show", {"target": "web-prod"}),
    ("details of web-prod", "show", {"target": "web-prod"}),
    ("details web-prod", "show", {"target": "web-prod"}),
    ("what is api-prod", "show", {"target": "api-prod"}),
    ("what's api-prod", "show", {"target": "api-prod"}),
    ("describe the db-prod", "show", {"target": "db-prod"}),
    ("info on web prod", "show", {"target": "web prod"}),
    ("tell me about db-prod", "show", {"target": "db-prod"}),
    ("where is web-dr", "show", {"target": "web-dr"}),
    ("status of web-prod", "status", {"target": "web-prod"}),
    ("web-prod status", "status", {"target": "web-prod"}),
    ("how is web-prod doing", "show", {"target": "web-prod"}),
    ("is web-prod ok", "show", {"target": "web-prod"}),
    ("show DB-Prod", "show", {"target": "DB-Prod"}),
    ("show checkout prod vm one three eight", "show", {"target": "checkout prod vm one three eight"}),
    ("web-prod", "show", {"target": "web-prod"}),
]

SCALE: list[tuple[str, str, S]] = [
    ("scale web-prod to 20", "scale", {"target": "web-prod", "count": 20}),
    ("set web-prod to twenty instances", "scale", {"target": "web-prod", "count": 20}),
    ("scale web prod to twenty", "scale", {"target": "web prod", "count": 20}),
    ("scale web prod two to twenty", "scale", {"target": "web prod two", "count": 20}),
    ("scale web-prod 20", "scale", {"target": "web-prod", "count": 20}),
    ("/scale web-prod 20", "scale", {"target": "web-prod", "count": 20}),
    ("resize web-prod to 1,000 nodes", "scale", {"target": "web-prod", "count": 1000}),
    ("scale web-prod to forty-two", "scale", {"target": "web-prod", "count": 42}),
    ("scale web-prod to one hundred and five", "scale", {"target": "web-prod", "count": 105}),
    ("scale web-prod to a dozen", "scale", {"target": "web-prod", "count": 12}),
    ("scale web-prod to 0", "scale", {"target": "web-prod", "count": 0}),
    ("set the desired capacity of web-prod to 16", "scale", {"target": "web-prod", "count": 16}),
    ("set web-prod desired capacity to 16", "scale", {"target": "web-prod", "count": 16}),
    ("set number of instances for api-prod to 6", "scale", {"target": "api-prod", "count": 6}),
    ("scale up web-prod to 30", "scale", {"target": "web-prod", "count": 30}),
    ("web-prod to 20 instances", "scale", {"target": "web-prod", "count": 20}),
    ("add 4 instances to web-prod", "scale", {"target": "web-prod", "delta": 4}),
    ("add four to web-prod", "scale", {"target": "web-prod", "delta": 4}),
    ("add 3 more servers to web prod", "scale", {"target": "web prod", "delta": 3}),
    ("add an instance to web-prod", "scale", {"target": "web-prod", "delta": 1}),
    ("add a couple of instances to web-prod", "scale", {"target": "web-prod", "delta": 2}),
    ("scale up web-prod by 3", "scale", {"target": "web-prod", "delta": 3}),
    ("scale web-prod up by 3", "scale", {"target": "web-prod", "delta": 3}),
    ("scale out web-prod by three", "scale", {"target": "web-prod", "delta": 3}),
    ("scale web-prod +3", "scale", {"target": "web-prod", "delta": 3}),
    ("scale web-prod by 3", "scale", {"target": "web-prod", "delta": 3}),
    ("increase web-prod by 5", "scale", {"target": "web-prod", "delta": 5}),
    ("grow web-prod to 25", "scale", {"target": "web-prod", "count": 25}),
    ("give web-prod 2 more instances", "scale", {"target": "web-prod", "delta": 2}),
    ("scale down api-prod by two", "scale", {"target": "api-prod", "delta": -2}),
    ("scale api-prod down by 2", "scale", {"target": "api-prod", "delta": -2}),
    ("scale in api-prod by 1", "scale", {"target": "api-prod", "delta": -1}),
    ("scale api-prod -2", "scale", {"target": "api-prod", "delta": -2}),
    ("scale api-prod minus two", "scale", {"target": "api-prod", "delta": -2}),
    ("remove 2 instances from api-prod", "scale", {"target": "api-prod", "delta": -2}),
    ("take two nodes off api prod", "scale", {"target": "api prod", "delta": -2}),
    ("remove an instance from api-prod", "scale", {"target": "api-prod", "delta": -1}),
    ("reduce api-prod by 3", "scale", {"target": "api-prod", "delta": -3}),
    ("shrink api-prod to 4", "scale", {"target": "api-prod", "count": 4}),
    ("scale web-prod", "scale", {"target": "web-prod"}),
    ("scale up web-prod", "scale", {"target": "web-prod"}),
    ("scale", "scale", {}),
]

POWER: list[tuple[str, str, S]] = [
    ("restart db-prod", "restart", {"target": "db-prod"}),
    ("reboot db-prod", "restart", {"target": "db-prod"}),
    ("bounce db prod", "restart", {"target": "db prod"}),
    ("restart the db-prod server", "restart", {"target": "db-prod"}),
    ("restart db-prod in azure", "restart", {"target": "db-prod", "provider": "azure"}),
    ("restart", "restart", {}),
    ("stop web-staging", "stop", {"target": "web-staging"}),
    ("halt web-staging", "stop", {"target": "web-staging"}),
    ("turn off web-staging", "stop", {"target": "web-staging"}),
    ("turn web-staging off", "stop", {"target": "web-staging"}),
    ("power off web-staging", "stop", {"target": "web-staging"}),
    ("start web-staging", "start", {"target": "web-staging"}),
    ("start up web-staging", "start", {"target": "web-staging"}),
    ("boot web-staging", "start", {"target": "web-staging"}),
    ("turn on web-staging", "start", {"target": "web-staging"}),
    ("spin up web-staging", "start", {"target": "web-staging"}),
    ("bring web-staging back online", "start", {"target": "web-staging"}),
]

CRITICAL: list[tuple[str, str, S]] = [
    ("emergency scale web-prod", "emergency_scale", {"target": "web-prod"}),
    ("emergency scale-up web-prod", "emergency_scale", {"target": "web-prod"}),
    ("emergency scaling for web prod", "emergency_scale", {"target": "web prod"}),
    ("emergency scale web-prod to 40", "emergency_scale", {"target": "web-prod", "count": 40}),
    ("panic scale web-prod", "emergency_scale", {"target": "web-prod"}),
    ("emergency", "emergency_scale", {}),
    ("shut down web-staging now", "shutdown", {"target": "web-staging"}),
    ("shutdown web-staging", "shutdown", {"target": "web-staging"}),
    ("shut-down web-staging", "shutdown", {"target": "web-staging"}),
    ("shut web-staging down", "shutdown", {"target": "web-staging"}),
    ("take web-staging down", "shutdown", {"target": "web-staging"}),
    ("shut down web-prod", "shutdown", {"target": "web-prod"}),
    ("emergency shutdown web-staging", "shutdown", {"target": "web-staging"}),
    ("fail over web-prod to dr", "failover", {"target": "web-prod", "destination": "dr"}),
    ("failover web-prod to web-dr", "failover", {"target": "web-prod", "destination": "web-dr"}),
    ("failover to azure", "failover", {"destination": "azure"}),
    ("fail over to azure", "failover", {"destination": "azure"}),
    ("fail over to disaster recovery", "failover", {"destination": "dr"}),
    ("fail-over web-prod to microsoft", "failover", {"target": "web-prod", "destination": "azure"}),
    ("fail web-prod over to dr", "failover", {"target": "web-prod", "destination": "dr"}),
    ("failover web-prod", "failover", {"target": "web-prod"}),
    ("failover", "failover", {}),
    ("switch traffic to azure", "failover", {"destination": "azure"}),
    ("move all traffic from web-prod to web-dr", "failover", {"target": "web-prod", "destination": "web-dr"}),
    ("start a failover of web-prod to dr", "failover", {"target": "web-prod", "destination": "dr"}),
]

COST: list[tuple[str, str, S]] = [
    ("cost this month", "cost", {"period": "this_month"}),
    ("cost last month", "cost", {"period": "last_month"}),
    ("cost today", "cost", {"period": "today"}),
    ("cost yesterday", "cost", {"period": "yesterday"}),
    ("cost by provider", "cost", {"group_by": "provider"}),
    ("spend by environment", "cost", {"group_by": "environment"}),
    ("cost per region", "cost", {"group_by": "region"}),
    ("costs", "cost", {}),
    ("cost for the last 7 days", "cost", {"period": "7d"}),
    ("spend past fourteen days", "cost", {"period": "14d"}),
    ("cost this week", "cost", {"period": "this_week"}),
    ("cost last week", "cost", {"period": "last_week"}),
    ("cost by team", "cost", {"group_by": "team"}),
    ("spend by service last month", "cost", {"group_by": "service", "period": "last_month"}),
    ("cost next month", "forecast", {"period": "next_month"}),
    ("cost last month by cloud", "cost", {"period": "last_month", "group_by": "provider"}),
    ("aws cost this month", "cost", {"provider": "aws", "period": "this_month"}),
    ("prod costs", "cost", {"environment": "prod"}),
    ("bill for google last month", "cost", {"provider": "gcp", "period": "last_month"}),
    ("how much are we spending", "cost", {}),
    ("how much did we spend last month", "cost", {"period": "last_month"}),
    ("what is the cost this month", "cost", {"period": "this_month"}),
    ("show me the bill", "cost", {}),
    ("cost of web-prod", "cost", {"target": "web-prod"}),
    ("how much does web-prod cost", "cost", {"target": "web-prod"}),
    ("forecast", "forecast", {}),
    ("cost forecast", "forecast", {}),
    ("forecast this month", "forecast", {"period": "this_month"}),
    ("spend forecast for next month", "forecast", {"period": "next_month"}),
    ("projected cost", "forecast", {}),
    ("how much will we spend this month", "forecast", {"period": "this_month"}),
    ("end of month estimate", "forecast", {"period": "this_month"}),
    ("aws forecast", "forecast", {"provider": "aws"}),
]

ALERTS: list[tuple[str, str, S]] = [
    ("alerts", "alerts", {}),
    ("show alerts", "alerts", {}),
    ("any alerts", "alerts", {}),
    ("any alerts in prod", "alerts", {"environment": "prod"}),
    ("list open alerts", "alerts", {}),
    ("are there any alerts", "alerts", {}),
    ("what's firing", "alerts", {}),
    ("alarms in aws", "alerts", {"provider": "aws"}),
    ("show alert 42", "alerts", {"alert_id": 42}),
    ("ack 42", "ack", {"alert_id": 42}),
    ("ack #42", "ack", {"alert_id": 42}),
    ("acknowledge forty two", "ack", {"alert_id": 42}),
    ("acknowledge four two", "ack", {"alert_id": 42}),
    ("ack alert number 7", "ack", {"alert_id": 7}),
    ("ack", "ack", {}),
    ("i'm on it", "ack", {}),
    ("on it", "ack", {}),
    ("resolve 42", "resolve", {"alert_id": 42}),
    ("resolved 42", "resolve", {"alert_id": 42}),
    ("close alert 42", "resolve", {"alert_id": 42}),
    ("mark 42 as resolved", "resolve", {"alert_id": 42}),
    ("who is on call", "oncall", {}),
    ("who's on call", "oncall", {}),
    ("whos oncall", "oncall", {}),
    ("on call", "oncall", {}),
    ("on-call", "oncall", {}),
    ("oncall", "oncall", {}),
    ("who is on call for prod", "oncall", {"environment": "prod"}),
    ("who has the pager", "oncall", {}),
    ("who do i call", "oncall", {}),
]

CONVERSATION: list[tuple[str, str, S]] = [
    ("perf", "perf", {}),
    ("how fast are you", "perf", {}),
    ("latency", "perf", {}),
    ("performance", "perf", {}),
    ("bot stats", "perf", {}),
    ("help", "help", {}),
    ("help scale", "help", {"topic": "scale"}),
    ("help with scaling", "help", {"topic": "scale"}),
    ("help failover", "help", {"topic": "failover"}),
    ("help restart", "help", {"topic": "restart"}),
    ("help on call", "help", {"topic": "oncall"}),
    ("how do i scale web-prod", "help", {"topic": "scale"}),
    ("?", "help", {}),
    ("scale?", "help", {"topic": "scale"}),
    ("what can you do", "help", {}),
    ("help me", "help", {}),
    ("yes", "confirm", {}),
    ("y", "confirm", {}),
    ("Yes!", "confirm", {}),
    ("yes please", "confirm", {}),
    ("confirm", "confirm", {}),
    ("confirm K7Q2", "confirm", {"code": "K7Q2"}),
    ("confirm k7q2", "confirm", {"code": "K7Q2"}),
    ("yes K7Q2", "confirm", {"code": "K7Q2"}),
    ("confirm kilo seven quebec two", "confirm", {"code": "K7Q2"}),
    ("confirm k seven q two", "confirm", {"code": "K7Q2"}),
    ("K7Q2", "confirm", {"code": "K7Q2"}),
    ("go ahead", "confirm", {}),
    ("do it", "confirm", {}),
    ("ok", "confirm", {}),
    ("👍", "confirm", {}),
    ("cancel", "cancel", {}),
    ("no", "cancel", {}),
    ("nope", "cancel", {}),
    ("abort", "cancel", {}),
    ("never mind", "cancel", {}),
    ("nevermind", "cancel", {}),
    ("don't", "cancel", {}),
    ("stop", "cancel", {}),
    ("cancel K7Q2", "cancel", {"code": "K7Q2"}),
    ("no thanks", "cancel", {}),
]

ADDRESSING: list[tuple[str, str, S]] = [
    ("/ops status", "status", {}),
    ("/opsbot status of prod", "status", {"environment": "prod"}),
    ("/status@opsbot_bot", "status", {}),
    ("@opsbot status", "status", {}),
    ("<@U012AB3CD> restart db-prod", "restart", {"target": "db-prod"}),
    ("hey opsbot, restart db-prod please", "restart", {"target": "db-prod"}),
    ("opsbot: scale web-prod to 20!", "scale", {"target": "web-prod", "count": 20}),
    ("Scale WEB-PROD to 20.", "scale", {"target": "WEB-PROD", "count": 20}),
    ("  restart   db-prod  ", "restart", {"target": "db-prod"}),
    ("can you please restart db-prod", "restart", {"target": "db-prod"}),
    ("please shut down web-staging right now", "shutdown", {"target": "web-staging"}),
    ("restart db-prod thanks", "restart", {"target": "db-prod"}),
    ("ok restart db-prod", "restart", {"target": "db-prod"}),
    ("web-prod's status", "status", {"target": "web-prod"}),
]

ALL = STATUS + SEARCH + SHOW + SCALE + POWER + CRITICAL + COST + ALERTS + CONVERSATION + ADDRESSING


@pytest.mark.parametrize(("text", "intent", "slots"), ALL, ids=[case[0] for case in ALL])
def test_phrasing_is_understood(text: str, intent: str, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name.value, parsed.slots.present()) == (intent, slots)
    assert parsed.confidence >= 0.7
    assert parsed.text == text.strip()


@pytest.mark.parametrize(
    "text",
    ["restart db-prod", "status of prod", "scale web-prod to 20", "find web", "ack 42", "confirm K7Q2"],
)
def test_clean_phrasing_is_confident(text: str) -> None:
    assert parse(text).confidence >= 0.95


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("staus of prod", "status", {"environment": "prod"}),
        ("stauts of prod", "status", {"environment": "prod"}),  # not "stats" (the bot's own timings)
        ("serach web", "search", {"query": "web"}),
        ("histroy web", "deploy_history", {"target": "web"}),  # asks: a typo of it is read (never of "rollback")
        ("lol status of prod", "status", {"environment": "prod"}),
        ("restart db-prod and report back", "restart", {"target": "db-prod"}),
    ],
)
def test_typos_and_extra_words_are_read_with_less_confidence(text: str, intent: str, slots: S) -> None:
    parsed = parse(text)
    assert (parsed.name.value, parsed.slots.present()) == (intent, slots)
    assert 0.5 <= parsed.confidence < 0.95


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "lunch?",
        "the quick brown fox jumps over the lazy dog",
        "restart db-prod and then tell me a very long joke about cats",
        "thanks",
        "ok thanks",
        "yse",  # a confirmation is never guessed
        "yes restart",
        "12345",
        "🙂🙂🙂",
        "שלום עולם",
    ],
)
def test_anything_else_is_unknown(text: str) -> None:
    parsed = parse(text)
    assert parsed.name.value == "unknown"
    assert parsed.confidence < 0.5
    assert parsed.slots.present() == {}


def test_shut_down_of_prod_stays_a_shutdown() -> None:
    assert parse("shut down web-prod").name.value == "shutdown"


def test_a_spoken_name_is_not_split_into_name_and_filter() -> None:
    parsed = parse("cost of api dr last month")
    assert parsed.slots.present() == {"target": "api dr", "period": "last_month"}
