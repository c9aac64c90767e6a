"""The Graph button of an alert card: a real alert taken in by the escalation engine, its card posted to the
console, and the card's Graph pressed - answered as a metrics question about the alert's resource, with the metric
its words suggest, from an hour before it fired until now, and the moment it fired marked on the chart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alerts.model import Incoming, Severity
from bot.runtime import Runtime
from core.models import Reply
from core.settings import Settings
from tests.alerting.conftest import alerting_file
from tests.conversation.conftest import ROOM, Say, speaker

ALERTING: dict[str, Any] = {
    "timezone": "UTC",
    "routes": [{"name": "all", "channels": [f"console:{ROOM.conversation_id}"]}],
}


@pytest.fixture
def runtime(settings: Settings, tmp_path: Path) -> Iterator[Runtime]:
    # A patient metrics deadline: the world answers at once, but the test machine may be loaded.
    changes = {"alerting": alerting_file(tmp_path, ALERTING), "metrics_deadline_seconds": 20.0}
    rt = Runtime.build(Settings(**{**settings.model_dump(), **changes}), with_worker=False)
    yield rt
    rt.close()


@pytest.fixture
def say(runtime: Runtime) -> Say:
    return speaker(runtime)


def fire(rt: Runtime, resource: str | None, summary: str, fired: float, **labels: str) -> Reply:
    """The alert taken in as a source would send it; its card as posted."""
    fingerprint = f"{resource}-{summary}"
    incoming = Incoming(source="alertmanager", fingerprint=fingerprint, severity=Severity.CRITICAL, summary=summary,
                        resource=resource, labels=labels, starts_at=fired)  # fmt: skip
    rt.alerting.escalator.ingest([incoming])
    alert = rt.alerting.desk.find_open(f"alertmanager:{fingerprint}")
    assert alert is not None
    cards = [r for _, r in rt.outbox.read(ROOM.channel, "0-0") if f"ALERT {alert.number} " in r.text and not r.edit_of]
    assert cards, "no card posted"
    return cards[-1]


def graph_button(card: Reply) -> str:
    [graph] = [b.id for b in card.buttons if b.label == "Graph"]
    return graph


def test_graph_answers_for_the_alerts_resource_and_metric_from_before_it_fired(runtime: Runtime, say: Say) -> None:
    fired = time.time() - 600
    card = fire(runtime, "rsvp-prod", "rsvp-prod memory above 90%", fired, alertname="HostHighMemory")
    assert [b.label for b in card.buttons] == ["Acknowledge", "Resolve", "Silence 1h", "Graph"]
    number = int(graph_button(card).removeprefix("graph:"))
    [answer] = say(press=graph_button(card), user="dave")  # a viewer may look
    assert answer.chart is not None, answer.text
    since = datetime.fromtimestamp(fired - 3600, UTC).strftime("%H:%M")
    assert answer.chart.title == f"rsvp-prod memory, since {since} UTC"
    assert answer.text.startswith("rsvp-prod memory ") and "; alert at 90%" in answer.text.splitlines()[0]
    assert [(m.at, m.label) for m in answer.chart.marks] == [(fired, f"alert {number} fired")]
    points = answer.chart.series[0].points
    assert fired - 3600 - 60 <= points[0][0] < fired < points[-1][0]


def test_the_metric_comes_from_the_alerts_words_and_is_cpu_otherwise(runtime: Runtime, say: Say) -> None:
    now = time.time()
    latency = fire(runtime, "web-prod", "checkout is slow", now - 60, alertname="HighLatencyP99")
    disk = fire(runtime, "db-prod", "disk almost full", now - 60)
    assert say(press=graph_button(latency))[0].text.startswith("web-prod p99 latency ")
    assert say(press=graph_button(disk))[0].text.startswith("db-prod CPU ")


def test_an_acknowledged_card_keeps_graph_and_an_alert_without_a_resource_has_none(runtime: Runtime, say: Say) -> None:
    card = fire(runtime, "web-prod", "5xx above 5%", time.time() - 60)
    say(press=next(b.id for b in card.buttons if b.label == "Acknowledge"))
    edits = [r for _, r in runtime.outbox.read(ROOM.channel, "0-0") if r.edit_of == card.key]
    assert [b.label for b in edits[-1].buttons] == ["Resolve", "Graph"]
    loose = fire(runtime, None, "backup job failed", time.time() - 60)
    assert [b.label for b in loose.buttons] == ["Acknowledge", "Resolve", "Silence 1h"]


def test_graph_of_a_gone_alert_or_resource_says_so(runtime: Runtime, say: Say) -> None:
    assert say(press="graph:999")[0].text == "No alert 999."
    card = fire(runtime, "web-prd", "web-prd down", time.time() - 60)
    [answer] = say(press=graph_button(card))
    assert answer.chart is None and answer.text.startswith("Alert ") and "Did you mean web-prod" in answer.text
