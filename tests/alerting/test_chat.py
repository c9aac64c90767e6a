"""Alerts from the chat side, on the console: list and show, ack/resolve/silence/escalate by text and button,
who may do it, who is on call, "I'll take tonight", and event-day mode paging warnings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from alerts.model import AlertState, Incoming, Severity
from bot.runtime import Runtime
from core.models import Reply
from core.settings import Settings
from tests.alerting.conftest import alerting_file
from tests.alerting.escalation_clock import EscalationClock
from tests.conversation.conftest import Say, speaker
from tests.eventually import eventually

QUIET: dict[str, Any] = {
    "timezone": "UTC",
    "routes": [
        {"name": "critical", "match": {"severity": ["critical"]}, "channels": ["console:ops-room"],
         "escalation": "slow"},
        {"name": "rest", "channels": ["console:ops-room"]},
    ],
    "escalations": {"slow": {"steps": [{"notify": "channel"}, {"after": "1h", "notify": "dm"}]}},
    "schedules": {"primary": {"timezone": "UTC", "rotation": "weekly", "handoff": "mon 09:00",
                              "start": "2026-01-05", "people": ["alice", "bob"], "manager": "carol"}},
}  # fmt: skip


@pytest.fixture
def make(settings: Settings, tmp_path: Path) -> Iterator[Callable[..., tuple[Runtime, Say]]]:
    built: list[Runtime] = []

    def _make(**alerting: Any) -> tuple[Runtime, Say]:
        rt = Runtime.build(
            Settings(**{**settings.model_dump(), "alerting": alerting_file(tmp_path, {**QUIET, **alerting})})
        )
        built.append(rt)
        return rt, speaker(rt)

    yield _make
    for rt in built:
        rt.close()


def fire(
    rt: Runtime, fingerprint: str = "web-5xx", severity: Severity = Severity.CRITICAL, summary: str = "5xx above 5%"
) -> None:
    rt.alerting.escalator.ingest([Incoming(source="generic", fingerprint=fingerprint, severity=severity,
                                           summary=summary, resource="web-prod")])  # fmt: skip


def test_list_show_ack_resolve_by_text(make: Callable[..., tuple[Runtime, Say]]) -> None:
    rt, say = make()
    assert say("alerts")[0].text == "No open alerts."
    fire(rt)
    fire(rt, "db", summary="db p99 above 2 s")
    listed = say("alerts")[0].text
    assert listed.splitlines()[0] == "2 open alerts:"
    assert re.search(r"^2 CRIT web-prod: db p99 above 2 s - \d+ s$", listed, re.MULTILINE)  # new: in seconds
    assert "ALERT 1 CRIT web-prod: 5xx above 5%" in say("alert 1")[0].text
    assert say("ack 1")[0].text == "Alert 1 acknowledged: escalation stopped."
    assert say("ack 1", user="bob")[0].text == "Alert 1 was already acknowledged by alice."
    assert say("ack", user="bob")[0].text.startswith("Which alert?")  # two open: which one
    assert say("resolve 2")[0].text == "Alert 2 resolved."
    assert say("resolve 2")[0].text == "Alert 2 was already resolved by alice."
    assert say("ack 99")[0].text == "No alert 99."
    book = rt.alerting.escalator.book
    assert book.get(1).state is AlertState.ACKED and book.get(2).state is AlertState.RESOLVED  # type: ignore[union-attr]


def test_viewer_may_look_but_not_act(make: Callable[..., tuple[Runtime, Say]]) -> None:
    rt, say = make()
    fire(rt)
    assert "1 open alert" in say("alerts", user="dave")[0].text
    refusal = say("ack 1", user="dave")[0]
    assert refusal.kind == "refusal" and "dave" in refusal.text and len(refusal.text.splitlines()) == 1
    pressed = say(press="alert:ack:1", user="dave")[0]
    assert pressed.kind == "refusal"
    assert rt.alerting.escalator.book.get(1).state is AlertState.FIRING  # type: ignore[union-attr]
    assert say(press="alert:ack:1")[0].text == "Alert 1 acknowledged: escalation stopped."
    assert say(press="alert:nonsense:1")[0].text == "That button is no longer valid."


def test_buttons_edit_the_card_in_place(make: Callable[..., tuple[Runtime, Say]]) -> None:
    rt, say = make()
    fire(rt)
    cards = [r for _, r in rt.outbox.read("console", "0-0") if r.text.startswith("FIRING")]
    assert len(cards) == 1 and [b.label for b in cards[0].buttons] == ["Acknowledge", "Resolve", "Silence 1h", "Graph"]
    say(press=cards[0].buttons[0].id)
    edits = [r for _, r in rt.outbox.read("console", "0-0") if r.edit_of == cards[0].key]
    assert edits and edits[-1].text.startswith("ACKED by alice via console at ")
    assert [b.label for b in edits[-1].buttons] == ["Resolve", "Graph"]


def test_silence_and_escalate(make: Callable[..., tuple[Runtime, Say]]) -> None:
    rt, say = make()
    fire(rt)
    assert say("escalate 1")[0].text == "Alert 1: paging the next step now."
    assert say("silence 1 for 30 minutes")[0].text == "Alert 1 silenced for 30 min: no paging until then."
    alert = rt.alerting.escalator.book.get(1)
    assert alert is not None and alert.silenced_by == "alice"
    assert "silenced until" in say("alerts")[0].text
    fire(rt)  # a repeat while silenced: counted, not paged
    assert rt.alerting.escalator.book.get(1).repeats == 1  # type: ignore[union-attr]


def test_who_is_on_call_and_ill_take_tonight(make: Callable[..., tuple[Runtime, Say]]) -> None:
    _rt, say = make()
    before = say("who is on call")[0].text
    assert before.startswith("On call now\nprimary: ") and "manager carol" in before
    taken = say("I'll take tonight", user="carol")[0].text
    assert taken.startswith("You have the primary pager until ")
    after = say("who is on call", user="dave")[0].text
    assert after.startswith("On call now\nprimary: carol until ") and "(override by carol)" in after
    assert "taking the pager" in say("i'll take tonight", user="dave")[0].text  # viewers may not


def test_after_taking_tonight_the_rotation_holder_comes_next_not_the_taker_twice(
    make: Callable[..., tuple[Runtime, Say]],
) -> None:
    rt, say = make()
    wednesday_evening = datetime(2026, 1, 14, 20, 0, tzinfo=UTC).timestamp()  # bob's week
    rt.alerting.escalator.clock = lambda: wednesday_evening
    assert say("who is on call")[0].text == "On call now\nprimary: bob until Mon 09:00, then alice; manager carol"
    assert say("I'll take tonight")[0].text == "You have the primary pager until Thu 09:00. Alerts page you first."
    assert say("who is on call", user="bob")[0].text == (
        "On call now\nprimary: alice until Thu 09:00 (override by alice), then bob; manager carol"
    )


def test_event_day_pages_warnings_like_criticals(make: Callable[..., tuple[Runtime, Say]]) -> None:
    rt, _say = make(event_mode=True)
    fire(rt, "disk", Severity.WARNING, "disk 90% full")
    alert = rt.alerting.escalator.book.get(1)
    assert alert is not None and alert.severity is Severity.CRITICAL and alert.paging and alert.escalation == "slow"
    normal, _ = make()
    fire(normal, "disk2", Severity.WARNING, "disk 91% full")
    quiet = normal.alerting.escalator.book.get(2)
    assert quiet is not None and not quiet.paging and quiet.escalation is None


def test_when_a_silence_ends_paging_resumes_and_the_card_says_so(make: Callable[..., tuple[Runtime, Say]]) -> None:
    rt, _say = make()
    clock = EscalationClock()
    clock.drive(rt.alerting.escalator)
    fire(rt)
    card = next(r for _, r in rt.outbox.read("console", "0-0") if r.text.startswith("FIRING"))
    assert rt.alerting.desk.silence(1, "bob", "console", 1) == "Alert 1 silenced for 1 s: no paging until then."

    def last_edit(starting: str) -> Reply | None:
        edit = [r for _, r in rt.outbox.read("console", "0-0") if r.edit_of == card.key][-1]
        return edit if edit.text.startswith(starting) else None

    assert last_edit("SILENCED by bob until ")
    clock.later(1.5)  # the silence is over
    edit = eventually(lambda: last_edit("FIRING"), what="the card firing again")
    assert "Acknowledge" in [b.label for b in edit.buttons]
    alert = rt.alerting.escalator.book.get(1)
    assert alert is not None and alert.silenced_until is None


def test_a_refiring_of_a_silenced_alert_is_posted_silenced(make: Callable[..., tuple[Runtime, Say]]) -> None:
    rt, say = make()
    fire(rt)
    say("silence 1 for 2 hours", user="bob")
    say("resolve 1")
    fire(rt)  # the same alert fires again: a new alert, still under bob's silence
    again = rt.alerting.escalator.book.get(2)
    assert again is not None and again.paging and again.escalation == "slow"  # it will page when the silence ends
    assert again.silenced_by == "bob" and again.silenced_until is not None
    card = next(r for _, r in rt.outbox.read("console", "0-0") if "ALERT 2 " in r.text)
    assert card.text.startswith("SILENCED by bob until ")


def test_repeats_show_on_the_card_at_most_every_so_often(make: Callable[..., tuple[Runtime, Say]]) -> None:
    rt, _say = make()
    rt.alerting.escalator.refresh_seconds = 0.5
    fire(rt)
    card = next(r for _, r in rt.outbox.read("console", "0-0") if r.text.startswith("FIRING"))

    def edits() -> list[Reply]:
        return [r for _, r in rt.outbox.read("console", "0-0") if r.edit_of == card.key]

    fired = 1
    for _ in range(20):  # a burst of repeats right after the post: no edit yet
        fire(rt)
        fired += 1
    assert not edits()

    def repeated_until_edited() -> bool:  # once the half second is over, the next repeat shows the count
        nonlocal fired
        fire(rt)
        fired += 1
        return bool(edits())

    eventually(repeated_until_edited, what="the card showing the repeats")
    fire(rt)  # and the one right after it does not
    assert len(edits()) == 1 and f"repeated {fired - 1}x" in edits()[0].text
