"""Metrics questions and watches as on-call engineers type them: the metric, the name or the place, the range
("last 6h", "since 3am", "today"), a comparison and a top list are read into METRIC / WATCH; what is not a metrics
question (a change, the bot's own latency, a load balancer, a status) stays what it was."""

from __future__ import annotations

import pytest

from actions.metrics.model import Metric
from core.models import CHANGING_INTENTS, IntentName
from intents import vocab
from intents.clock import read_clock
from intents.help import help_text
from intents.parser import parse

S = dict[str, object]
H = 3600

METRIC_QUESTIONS: list[tuple[str, S]] = [
    # cpu, as asked in many ways
    ("cpu of web-prod last 6h", {"metric": "cpu", "target": "web-prod", "duration_seconds": 6 * H}),
    ("cpu web-prod", {"metric": "cpu", "target": "web-prod"}),
    ("what's the cpu on web-prod", {"metric": "cpu", "target": "web-prod"}),
    ("how busy is web-prod", {"metric": "cpu", "target": "web-prod"}),
    ("web-prod cpu", {"metric": "cpu", "target": "web-prod"}),
    (
        "cpu usage of web-prod over the past 30 minutes",
        {"metric": "cpu", "target": "web-prod", "duration_seconds": 1800},
    ),
    ("cpu of web prod last 6h", {"metric": "cpu", "target": "web prod", "duration_seconds": 6 * H}),
    ("show web-prod cpu for the last hour", {"metric": "cpu", "target": "web-prod", "duration_seconds": H}),
    ("load on worker-prod", {"metric": "cpu", "target": "worker-prod"}),
    ("how loaded is worker-prod", {"metric": "cpu", "target": "worker-prod"}),
    ("is web-prod busy?", {"metric": "cpu", "target": "web-prod"}),
    ("graph web-prod", {"metric": "cpu", "target": "web-prod"}),
    (
        "hey opsbot, cpu of api-prod in the last 2 hours please",
        {"metric": "cpu", "target": "api-prod", "duration_seconds": 2 * H},
    ),
    # memory
    ("memory of db-prod", {"metric": "memory", "target": "db-prod"}),
    ("ram of db-prod", {"metric": "memory", "target": "db-prod"}),
    ("mem usage on db-prod", {"metric": "memory", "target": "db-prod"}),
    ("how much memory is db-prod using", {"metric": "memory", "target": "db-prod"}),
    # latency, since a time of day
    ("p99 latency of api-prod since 3am", {"metric": "latency_p99", "target": "api-prod", "since": "03:00"}),
    ("p99 of api-prod since 14:30", {"metric": "latency_p99", "target": "api-prod", "since": "14:30"}),
    ("latency of api-prod since 9pm", {"metric": "latency_p99", "target": "api-prod", "since": "21:00"}),
    ("latency of api-prod since midnight", {"metric": "latency_p99", "target": "api-prod", "since": "00:00"}),
    ("response time of api-prod", {"metric": "latency_p99", "target": "api-prod"}),
    ("median latency of api-prod", {"metric": "latency_p50", "target": "api-prod"}),
    ("p50 on api-prod since 9:15 am", {"metric": "latency_p50", "target": "api-prod", "since": "09:15"}),
    # errors, requests, network
    ("errors on web-prod today", {"metric": "errors", "target": "web-prod", "period": "today"}),
    ("5xx on web-prod yesterday", {"metric": "errors", "target": "web-prod", "period": "yesterday"}),
    ("error rate of web-prod", {"metric": "errors", "target": "web-prod"}),
    (
        "any failures on checkout-prod since 2 hours ago",
        {"metric": "errors", "target": "checkout-prod", "duration_seconds": 2 * H},
    ),
    ("errors on web-prod since yesterday", {"metric": "errors", "target": "web-prod", "duration_seconds": 24 * H}),
    ("requests to web-prod", {"metric": "requests", "target": "web-prod"}),
    ("traffic on web-prod", {"metric": "requests", "target": "web-prod"}),
    ("rps of web-prod", {"metric": "requests", "target": "web-prod"}),
    ("throughput of web-prod this week", {"metric": "requests", "target": "web-prod", "period": "this_week"}),
    ("network in of web-dr", {"metric": "network_in", "target": "web-dr"}),
    ("inbound traffic of web-dr", {"metric": "network_in", "target": "web-dr"}),
    ("web-dr inbound traffic", {"metric": "network_in", "target": "web-dr"}),
    ("bytes in on web-dr", {"metric": "network_in", "target": "web-dr"}),
    ("network out of web-dr last 24 hours", {"metric": "network_out", "target": "web-dr", "duration_seconds": 24 * H}),
    ("egress of web-dr", {"metric": "network_out", "target": "web-dr"}),
    ("outbound traffic on web-dr", {"metric": "network_out", "target": "web-dr"}),
    # comparisons
    ("compare cpu of web-prod with last week", {"metric": "cpu", "target": "web-prod", "compare": "last_week"}),
    ("compare cpu of web-prod", {"metric": "cpu", "target": "web-prod", "compare": "last_week"}),
    ("cpu of web-prod vs yesterday", {"metric": "cpu", "target": "web-prod", "compare": "yesterday"}),
    ("cpu of web-prod week over week", {"metric": "cpu", "target": "web-prod", "compare": "last_week"}),
    ("how does cpu of web-prod compare to last week", {"metric": "cpu", "target": "web-prod", "compare": "last_week"}),
    ("errors on web-prod today vs yesterday", {"metric": "errors", "period": "today", "compare": "yesterday"}),
    (
        "compare cpu of prod vs the same time yesterday",
        {"metric": "cpu", "environment": "prod", "compare": "yesterday"},
    ),
    # top lists, no name
    ("top 5 instances by cpu in prod", {"metric": "cpu", "count": 5, "kind": "instance", "environment": "prod"}),
    ("busiest instances in prod", {"metric": "cpu", "kind": "instance", "environment": "prod"}),
    ("top 10 by memory on aws", {"metric": "memory", "count": 10, "provider": "aws"}),
    ("top 5 cpu instances in prod", {"metric": "cpu", "count": 5, "kind": "instance", "environment": "prod"}),
    (
        "which hosts have the highest memory in staging",
        {"metric": "memory", "kind": "instance", "environment": "staging"},
    ),
    ("what is using the most memory on aws", {"metric": "memory", "provider": "aws"}),
    ("top 5 by inbound traffic in prod", {"metric": "network_in", "count": 5, "environment": "prod"}),
    (
        "show me the top 5 busiest instances in prod",
        {"metric": "cpu", "count": 5, "kind": "instance", "environment": "prod"},
    ),
    ("slowest instances in prod", {"metric": "latency_p99", "kind": "instance", "environment": "prod"}),
    ("which instances have the most errors", {"metric": "errors", "kind": "instance"}),
    # questions around the words
    ("can i see the cpu of web-prod", {"metric": "cpu", "target": "web-prod"}),
    ("how many 500s on web-prod in the last hour", {"metric": "errors", "target": "web-prod", "duration_seconds": H}),
    ("how's web-prod cpu looking", {"metric": "cpu", "target": "web-prod"}),
    ("what does memory look like on worker-prod", {"metric": "memory", "target": "worker-prod"}),
    ("is api-prod throwing errors", {"metric": "errors", "target": "api-prod"}),
    ("cpu of web-prod last month", {"metric": "cpu", "target": "web-prod", "duration_seconds": 30 * 24 * H}),
    # a place instead of a name
    ("cpu of prod on aws", {"metric": "cpu", "environment": "prod", "provider": "aws"}),
    ("how busy is prod", {"metric": "cpu", "environment": "prod"}),
    ("prod cpu last 6h", {"metric": "cpu", "environment": "prod", "duration_seconds": 6 * H}),
    ("any errors in prod", {"metric": "errors", "environment": "prod"}),
    ("cpu of web-prod on aws", {"metric": "cpu", "target": "web-prod", "provider": "aws"}),
    ("latency on api-prod in eu-west-1", {"metric": "latency_p99", "target": "api-prod", "region": "eu-west-1"}),
]

WATCHES: list[tuple[str, S]] = [
    ("watch cpu of web-prod for 10 min", {"metric": "cpu", "target": "web-prod", "duration_seconds": 600}),
    ("keep an eye on web-prod cpu for half an hour", {"metric": "cpu", "target": "web-prod", "duration_seconds": 1800}),
    ("watch web-prod memory", {"metric": "memory", "target": "web-prod"}),
    (
        "monitor p99 latency of api-prod for 15 minutes",
        {"metric": "latency_p99", "target": "api-prod", "duration_seconds": 900},
    ),
    (
        "track errors on checkout-prod for the next hour",
        {"metric": "errors", "target": "checkout-prod", "duration_seconds": H},
    ),
    ("watch web-prod", {"metric": "cpu", "target": "web-prod"}),
    # Read as said: the answer caps a watch at an hour and says so, which it could not if the parser capped it.
    ("watch cpu of web-prod for 3 hours", {"metric": "cpu", "target": "web-prod", "duration_seconds": 3 * H}),
]


@pytest.mark.parametrize(("text", "slots"), METRIC_QUESTIONS)
def test_a_metrics_question_is_read_with_its_slots(text: str, slots: S) -> None:
    intent = parse(text)
    assert intent.name is IntentName.METRIC, (intent.name, intent.slots.present())
    found = intent.slots.present()
    assert {k: found.get(k) for k in slots} == slots
    assert intent.confidence >= 0.85


@pytest.mark.parametrize(("text", "slots"), WATCHES)
def test_a_watch_is_read_with_its_slots(text: str, slots: S) -> None:
    intent = parse(text)
    assert intent.name is IntentName.WATCH, (intent.name, intent.slots.present())
    assert {k: intent.slots.present().get(k) for k in slots} == slots
    assert "duration_seconds" in slots or intent.slots.duration_seconds is None


@pytest.mark.parametrize(
    ("text", "name", "slots"),
    [
        ("memroy of db-prod", "metric", {"metric": "memory", "target": "db-prod"}),
        ("show memroy of db-prod", "metric", {"metric": "memory", "target": "db-prod"}),
        ("wacth cpu of web-prod", "watch", {"metric": "cpu", "target": "web-prod"}),
    ],
)
def test_a_slip_in_a_metrics_question_is_read_as_meant(text: str, name: str, slots: S) -> None:
    intent = parse(text)
    assert intent.name.value == name
    assert {k: intent.slots.present().get(k) for k in slots} == slots


def test_a_top_list_names_no_resource() -> None:
    slots = parse("top 5 instances by cpu in prod").slots
    assert slots.target is None and slots.since is None and slots.compare is None


NOT_METRICS: list[tuple[str, str, S]] = [
    # The bot's own latency stays perf; a metric's name alone asks how to ask.
    ("latency", "perf", {}),
    ("p99", "perf", {}),
    ("show me your latency", "perf", {}),
    ("cpu", "help", {"topic": "metrics"}),
    ("errors?", "help", {"topic": "metrics"}),
    ("help watch", "help", {"topic": "watch"}),
    ("watch?", "help", {"topic": "watch"}),
    ("graph", "help", {"topic": "metrics"}),
    ("help graphs", "help", {"topic": "metrics"}),
    # Load balancers are a kind, not the load of a balancer; a dashboard is a status.
    ("show load balancers", "search", {"kind": "load_balancer"}),
    ("list load balancers in azure", "search", {"kind": "load_balancer", "provider": "azure"}),
    ("dashboard for prod", "status", {"environment": "prod"}),
    ("any problems in prod", "status", {"environment": "prod"}),
    ("any alerts in prod", "alerts", {"environment": "prod"}),
    ("status of web-prod", "status", {"target": "web-prod"}),
    ("how is web-prod doing", "show", {"target": "web-prod"}),
    # Disk metrics are not among the metrics the sources answer.
    ("iops of db-prod", "not_yet", {"topic": "show disk metrics"}),
    ("disk usage of db-prod", "not_yet", {"topic": "show disk metrics"}),
    # Changes stay changes, with the metric words in a remark.
    ("scale web-prod to 20, cpu is at 95%", "scale", {"target": "web-prod", "count": 20}),
    ("restart web-prod, memory leak", "restart", {"target": "web-prod"}),
    ("switch traffic to the dr site", "failover", {"destination": "dr"}),
    ("send all traffic from web-prod to web-dr", "failover", {"target": "web-prod", "destination": "web-dr"}),
    # A watch stops with its Stop button: "unwatch" is never a typo of "watch", nor "stop watching" a stop.
    ("unwatch web-prod", "not_yet", {"topic": "stop a watch by text (press Stop on it)"}),
    ("stop watching web-prod", "not_yet", {"topic": "stop a watch by text (press Stop on it)"}),
    # Not for opsbot.
    ("i watched the match last night", "unknown", {}),
    ("keep an eye on the kids for 10 min", "unknown", {}),
    ("load balancer web-lb", "unknown", {}),
    ("did someone restart web-prod? memory dropped", "unknown", {}),
    ("is prod having errors", "status", {"environment": "prod"}),
]


@pytest.mark.parametrize(("text", "name", "slots"), NOT_METRICS)
def test_what_is_not_a_metrics_question_stays_what_it_was(text: str, name: str, slots: S) -> None:
    intent = parse(text)
    assert intent.name.value == name, (intent.name, intent.slots.present())
    assert {k: intent.slots.present().get(k) for k in slots} == slots


NEVER_A_CHANGE = [
    # "scale web-prod cpu to 20": a CPU target? a machine type? Not a size: not understood, and said so.
    "scale web-prod cpu to 20",
    "web-prod cpu to 20",
    "set api-prod memory to 8",
    "stop watching web-prod",
    "cpu on web-prod is pegged, should we scale it to 20?",
    "if cpu of api-prod stays above 90 we'll add 4 instances",
    "watch web-prod, restart it if it dies",
    "top 5 instances by cpu in prod, restart the worst",
]


@pytest.mark.parametrize("text", NEVER_A_CHANGE)
def test_metrics_words_never_make_a_change(text: str) -> None:
    assert parse(text).name not in CHANGING_INTENTS


@pytest.mark.parametrize("text", [text for text, _ in METRIC_QUESTIONS + WATCHES])
def test_no_metrics_question_is_a_change(text: str) -> None:
    assert parse(text).name not in CHANGING_INTENTS


def test_the_metric_words_name_exactly_the_metrics_the_sources_answer() -> None:
    assert set(vocab.METRIC_WORDS.values()) == {m.value for m in Metric}


def test_the_metric_words_are_in_the_vocabulary_the_voice_grammar_collects() -> None:
    spoken = vocab.words()
    for name in vocab.METRIC_WORDS:
        assert set(name.split()) <= spoken, name


@pytest.mark.parametrize(
    ("words", "clock"),
    [
        ("3am", "03:00"),
        ("3 am", "03:00"),
        ("three am", "03:00"),
        ("12am", "00:00"),
        ("12pm", "12:00"),
        ("9:15pm", "21:15"),
        ("14:30", "14:30"),
        ("0730", "07:30"),
        ("noon", "12:00"),
        ("9 oclock", "09:00"),
        ("3", None),
        ("25:00", None),
        ("13pm", None),
    ],
)
def test_times_of_day_read_on_a_24_hour_clock(words: str, clock: str | None) -> None:
    found = read_clock(words.split(), 0)
    assert (found[0] if found else None) == clock


def test_help_has_metrics_and_watch_pages_and_the_index_names_them() -> None:
    index = help_text(None)
    assert "cpu of web-prod" in index.splitlines()[0] and "metrics" in index and "watch" in index
    assert help_text("graph").startswith("metrics:")
    assert help_text("watch").startswith("watch:")
