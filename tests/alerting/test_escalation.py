"""A whole escalation with its timers compressed to seconds: the alert's card in the incident channel, a direct
message to the person on call, an SMS, a call, a keypress on the call - and every message of the alert, on
every channel, says who acknowledged it and how. The escalation runs on a clock the test moves forward."""

from __future__ import annotations

from functools import partial
from urllib.parse import urlsplit

from audit.log import AuditEvent
from fakes.slack_api import PostedMessage
from tests.alerting.conftest import (
    ALICE_PHONE,
    CAROL_PHONE,
    INCIDENT,
    TWILIO_FROM,
    AlertStack,
    AlertStackFactory,
)
from tests.alerting.escalation_clock import EscalationClock
from tests.eventually import eventually
from tests.slack.conftest import ALICE


def _newest_says(message: PostedMessage, text: str) -> bool:
    return bool(message.versions) and text in message.versions[-1]


def _on_clock(alerts: AlertStack) -> EscalationClock:
    """The escalation of this stack on a clock that moves only when the test says so."""
    clock = EscalationClock()
    clock.drive(alerts.stack.runtime.alerting.escalator)
    return clock


def _to_the_sms(alerts: AlertStack, clock: EscalationClock) -> None:
    """A second after the card, the direct message; a second later, the SMS is due."""
    clock.later(1)
    alerts.card(channel=ALICE)
    clock.later(1)


def test_chat_then_sms_then_call_then_keypress_updates_every_message(alerts: AlertStack) -> None:
    clock = _on_clock(alerts)
    response = alerts.fire()
    assert response.status_code == 200 and response.json() == {"stored": 1, "updated": 0}

    card = alerts.card()
    assert "FIRING" in card.shown and "ALERT 1 CRIT web-prod: 5xx above 5%" in card.shown
    assert [b["text"]["text"] for b in card.buttons] == ["Acknowledge", "Resolve", "Silence 1h", "Graph"]

    clock.later(1)
    dm = alerts.card(channel=ALICE)  # the person on call, in a direct message
    assert "alice: you are being paged" in dm.shown
    assert alerts.twilio.sms_sent == []  # the SMS is a second later

    clock.later(1)
    alerts.twilio.wait_for(lambda t: len(t.sms_sent) == 1)
    sms = alerts.twilio.sms_sent[0]
    assert (sms.to, sms.from_) == (ALICE_PHONE, TWILIO_FROM)
    assert sms.body == "ALERT 1 CRIT web-prod 5xx above 5%. Reply 1A ack, 1R resolve"

    clock.later(1)
    alerts.twilio.wait_for(lambda t: len(t.calls_placed) == 1)
    call = alerts.twilio.calls_placed[0]
    assert call.to == ALICE_PHONE
    voice = urlsplit(call.url)
    asked = alerts.twilio_post(
        f"{voice.path}?{voice.query}",
        {"CallSid": "CA1", "To": ALICE_PHONE, "From": TWILIO_FROM, "Direction": "outbound-api"},
    )
    assert asked.status_code == 200 and "5xx above 5%" in asked.text and "<Gather" in asked.text
    pressed = alerts.twilio_post(f"{voice.path}?{voice.query}", {"CallSid": "CA1", "To": ALICE_PHONE,
                                                                 "From": TWILIO_FROM, "Direction": "outbound-api",
                                                                 "Digits": "1"})  # fmt: skip
    assert "acknowledged" in pressed.text

    for message in (card, dm):
        eventually(partial(_newest_says, message, "ACKED by alice via phone"),
                   what=f"the message in {message.channel} updated")  # fmt: skip
        assert "Acknowledge" not in str(message.blocks)  # the card keeps only Resolve
    escalator = alerts.stack.runtime.alerting.escalator
    assert escalator.timers.pending(1) is None  # acknowledged: the escalation is over ...
    clock.advance(2.5)  # ... so the manager's call, due 2 s after alice's, never comes
    assert escalator.run_due() == 0
    assert [c.to for c in alerts.twilio.calls_placed] == [ALICE_PHONE]
    assert CAROL_PHONE not in [s.to for s in alerts.twilio.sms_sent]

    kinds = [(r.params["kind"], r.params["ok"]) for r in alerts.audit(AuditEvent.ALERT_NOTIFIED)]
    assert kinds == [("channel", True), ("dm", True), ("sms", True), ("call", True)]
    acked = alerts.audit(AuditEvent.ALERT_ACKED)
    assert [(r.actor, r.where) for r in acked] == [("alice", "phone")]


def test_unanswered_call_moves_on_to_the_manager_at_once(alerts: AlertStack) -> None:
    clock = _on_clock(alerts)
    alerts.fire()
    _to_the_sms(alerts, clock)
    alerts.twilio.wait_for(lambda t: len(t.sms_sent) == 1)
    clock.later(1)
    alerts.twilio.wait_for(lambda t: len(t.calls_placed) == 1)
    call = alerts.twilio.calls_placed[0]
    status = urlsplit(call.status_callback or "")
    alerts.twilio_post(f"{status.path}?{status.query}", {"CallSid": call.sid, "CallStatus": "no-answer",
                                                         "To": ALICE_PHONE, "From": TWILIO_FROM})  # fmt: skip
    # The clock stands still: the manager's call comes now, not the 2 s of the policy later.
    alerts.twilio.wait_for(lambda t: len(t.calls_placed) == 2, timeout=30)
    assert alerts.twilio.calls_placed[1].to == CAROL_PHONE
    assert any(r.params.get("status") == "no-answer" for r in alerts.audit(AuditEvent.ALERT_DELIVERY))

    # carol answers and presses 1: alice, paged by SMS and call before, is told by SMS that it is taken care of
    manager = urlsplit(alerts.twilio.calls_placed[1].url)
    pressed = alerts.twilio_post(f"{manager.path}?{manager.query}", {"CallSid": "CA2", "To": CAROL_PHONE,
                                                                     "From": TWILIO_FROM, "Direction": "outbound-api",
                                                                     "Digits": "1"})  # fmt: skip
    assert "acknowledged" in pressed.text
    alerts.twilio.wait_for(lambda t: len(t.sms_sent) == 2, timeout=5)
    notice = alerts.twilio.sms_sent[1]
    assert notice.to == ALICE_PHONE and notice.body.startswith("1 acked by carol via phone ")


def test_sms_reply_acknowledges_once(alerts: AlertStack) -> None:
    clock = _on_clock(alerts)
    alerts.fire()
    _to_the_sms(alerts, clock)
    alerts.twilio.wait_for(lambda t: len(t.sms_sent) == 1)
    card = alerts.card()
    reply = {"MessageSid": "SM1", "From": ALICE_PHONE, "To": TWILIO_FROM, "Body": "1A"}
    first = alerts.twilio_post("/twilio/sms", reply)
    again = alerts.twilio_post("/twilio/sms", reply)  # Twilio retried the webhook
    assert "acknowledged" in first.text
    assert "acknowledged" not in again.text
    eventually(lambda: bool(card.versions) and "ACKED by alice via SMS" in card.versions[-1], what="card updated")
    assert len(alerts.audit(AuditEvent.ALERT_ACKED)) == 1
    stranger = alerts.twilio_post("/twilio/sms", {"MessageSid": "SM2", "From": "+15550199999", "To": TWILIO_FROM,
                                                  "Body": "1R"})  # fmt: skip
    assert stranger.status_code == 200 and "<Message>" not in stranger.text


def test_failed_sms_moves_on_to_the_call_at_once(alerts: AlertStack) -> None:
    alerts.twilio.fail_next(times=3, status=400, code=21211, message="The 'To' number is not valid.", kind="Messages")
    clock = _on_clock(alerts)
    alerts.fire()
    _to_the_sms(alerts, clock)
    alerts.twilio.wait_for(lambda t: len(t.calls_placed) == 1)  # at once: the clock stands still
    failed = [r for r in alerts.audit(AuditEvent.ALERT_NOTIFIED) if r.params["kind"] == "sms"]
    assert failed and failed[0].params["ok"] is False and "not valid" in failed[0].outcome


def test_slack_down_does_not_hold_up_the_phone(make_alert_stack: AlertStackFactory) -> None:
    alerts = make_alert_stack()
    alerts.slack.fail_next("chat.postMessage", 50, status=500, error="internal_error")
    alerts.fire()
    # The channel post failed: the direct message is due at once; it fails too, so the SMS follows at once.
    alerts.twilio.wait_for(lambda t: len(t.sms_sent) == 1, timeout=5)
    failures = [r for r in alerts.audit(AuditEvent.ALERT_DELIVERY) if r.params.get("ok") is False]
    assert failures, "chat delivery failures are audited"


def test_chat_ack_button_and_text(alerts: AlertStack) -> None:
    alerts.fire()
    alerts.fire("db-slow", summary="db p99 above 2 s", resource="db-prod")
    card = alerts.card()
    from tests.slack.conftest import press_form

    assert alerts.stack.form(press_form(card, "Acknowledge")).status_code == 200
    eventually(lambda: bool(card.versions) and "ACKED by alice via Slack" in card.versions[-1], what="ack by button")
    second = alerts.card(number=2)
    from tests.slack.conftest import mention

    alerts.stack.event(mention("resolve 2", channel=INCIDENT))
    eventually(lambda: bool(second.versions) and "RESOLVED by alice via Slack" in second.versions[-1], what="resolve")
    listed = alerts.stack.event(mention("alerts", channel="C0LIST"))
    assert listed.status_code == 200
    answer = alerts.slack.message_where(lambda m: m.channel == "C0LIST")
    assert answer.shown.startswith("1 open alert:") and "acked by alice" in answer.shown
