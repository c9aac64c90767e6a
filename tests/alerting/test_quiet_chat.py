"""Quiet chat on Slack, through the real serve path (bolt, slack_sdk, the Deliverer) against the fake Web API: what
the incident channel shows at its top level, in a card's thread, and to one person only. A press is answered in
the card's thread (a refusal only to the presser); escalation repeats edit the card and note themselves in its
thread; durations under a minute read in seconds."""

from __future__ import annotations

from typing import Any

from tests.alerting.conftest import FAST, INCIDENT, AlertStack, AlertStackFactory
from tests.eventually import eventually
from tests.slack.conftest import ALICE, DAVE, press_form

REPEATING: dict[str, Any] = {
    **FAST,
    "escalations": {"fast": {"steps": [{"notify": "channel", "every": "1s", "times": 3}]}},
}


def test_a_press_is_answered_in_the_cards_thread_and_a_refusal_only_to_the_presser(alerts: AlertStack) -> None:
    alerts.fire()
    card = alerts.card()

    assert alerts.stack.form(press_form(card, "Acknowledge", user=DAVE)).status_code == 200
    alerts.slack.wait_for(lambda: bool(alerts.slack.ephemeral))
    (refusal,) = alerts.slack.ephemeral
    assert (refusal.user, refusal.channel) == (DAVE, INCIDENT)
    assert refusal.shown.startswith("dave is a viewer") and len(refusal.shown.splitlines()) == 1
    assert not card.versions  # the card is as it was: nobody acknowledged it

    assert alerts.stack.form(press_form(card, "Acknowledge")).status_code == 200
    eventually(lambda: bool(card.versions) and card.versions[-1].startswith("ACKED by alice via Slack"),
               what="the card shows the acknowledgement")  # fmt: skip
    alerts.slack.wait_for(lambda: bool(alerts.slack.thread(card)))
    assert [m.shown for m in alerts.slack.thread(card)] == ["Alert 1 acknowledged: escalation stopped."]
    assert alerts.slack.top_level(INCIDENT) == [card]  # nothing new for the whole channel to read
    assert len(alerts.slack.ephemeral) == 1


def test_repeats_edit_the_card_and_note_themselves_in_its_thread(make_alert_stack: AlertStackFactory) -> None:
    alerts = make_alert_stack(REPEATING)
    alerts.fire()
    card = alerts.card()
    eventually(lambda: len(alerts.slack.thread(card)) >= 3, what="two repeats and the end, in the card's thread")
    notes = [m.shown for m in alerts.slack.thread(card)]
    assert notes[0].startswith("Still not acknowledged after ") and notes[0].endswith(" s - repeat 1.")
    assert notes[1].endswith(" s - repeat 2.")
    assert notes[2].startswith("Nobody acknowledged after ") and notes[2].endswith(" s: escalation ended.")
    assert not any("0 min" in note for note in notes)
    assert card.versions[-1].startswith("Still not acknowledged - repeat 2\nALERT 1 CRIT web-prod: 5xx above 5%")
    assert [b["text"]["text"] for b in card.buttons] == ["Acknowledge", "Resolve", "Silence 1h", "Graph"]
    assert alerts.slack.top_level(INCIDENT) == [card]  # one card, however often it repeats


def test_a_repeated_direct_page_replies_to_the_card_it_sent_first(make_alert_stack: AlertStackFactory) -> None:
    paging = {**FAST, "escalations": {"fast": {"steps": [
        {"notify": "channel"}, {"after": "1s", "notify": "dm", "every": "1s", "times": 2}]}}}  # fmt: skip
    alerts = make_alert_stack(paging)
    alerts.fire()
    card = alerts.slack.message_where(lambda m: m.channel == ALICE and m.shown.startswith("FIRING"))
    assert card.shown.endswith("alice: you are being paged.")
    eventually(lambda: bool(alerts.slack.thread(card)), what="the second page, in the card's thread")
    assert [m.shown for m in alerts.slack.thread(card)] == ["alice: you are being paged."]
    assert alerts.slack.top_level(ALICE) == [card]
