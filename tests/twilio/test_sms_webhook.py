"""A reply to a page by SMS: registered and paged people act with "42A"; everyone else learns little."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

import httpx
import pytest

from bot.twilio.sms import HELP
from bot.twilio.webhooks import FAILED_SMS
from tests.twilio.conftest import ALICE_PHONE, BOB_PHONE, STRANGER_PHONE, Webhooks, sample

SID = "SM" + "a1" * 16


def messages(answer: httpx.Response) -> list[str]:
    """The SMS texts a TwiML answer sends back."""
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(answer.text)
    assert root.tag == "Response"
    return [str(child.text) for child in root if child.tag == "Message"]


def test_twilio_labs_inbound_sample_from_a_registered_number_gets_the_help_line(hooks: Webhooks) -> None:
    params = sample("twilio_sms_inbound_webhook_twilio_labs.json")["body"]  # "Ahoy" from alice's number
    assert messages(hooks.post("/twilio/sms", params)) == [HELP]
    assert HELP == "Reply the alert number and A to acknowledge or R to resolve, e.g. 42A."
    assert hooks.desk.acts == []


def test_a_paged_person_acknowledges_by_sms_once(hooks: Webhooks) -> None:
    assert messages(hooks.sms("42A", sid=SID)) == ["Alert 42 acknowledged."]
    assert hooks.desk.acts == [(42, "ack", "alice", "SMS")]
    again = hooks.sms("42A", sid=SID)  # Twilio delivering the same message again, or a replayed capture
    assert messages(again) == [] and again.text.endswith("<Response />")
    assert hooks.desk.acts == [(42, "ack", "alice", "SMS")]


@pytest.mark.parametrize(("body", "action"), [("42 r", "resolve"), ("resolve 42", "resolve"), ("42E", "escalate"),
                                               ("ACK 42", "ack")])  # fmt: skip
def test_each_reply_form_acts(hooks: Webhooks, body: str, action: str) -> None:
    messages(hooks.sms(body, sid=SID))
    assert hooks.desk.acts == [(42, action, "alice", "SMS")]


def test_an_unregistered_number_gets_no_answer_at_all(hooks: Webhooks, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot.twilio")
    answer = hooks.sms("42A", sid=SID, phone=STRANGER_PHONE)
    assert messages(answer) == [] and answer.text.endswith("<Response />")
    assert hooks.desk.acts == []
    assert "unregistered number ...0099" in caplog.text
    assert STRANGER_PHONE not in caplog.text  # the log keeps the last digits only


def test_someone_not_paged_for_the_alert_is_told_so(hooks: Webhooks) -> None:
    assert messages(hooks.sms("42A", sid=SID, phone=BOB_PHONE)) == ["You were not paged for alert 42."]
    assert messages(hooks.sms("43R", sid=SID + "b", phone=ALICE_PHONE)) == ["You were not paged for alert 43."]
    assert hooks.desk.acts == []


def test_unknown_text_gets_the_help_line(hooks: Webhooks) -> None:
    for n, body in enumerate(["yes", "", "42", "A42", "stop paging me"]):
        assert messages(hooks.sms(body, sid=f"{SID}{n}")) == [HELP], body
    assert hooks.desk.acts == []


def test_a_failure_behind_the_desk_is_told_and_the_same_message_may_come_again(
    hooks: Webhooks, caplog: pytest.LogCaptureFixture
) -> None:
    hooks.desk.fail_acts = 1
    assert messages(hooks.sms("42A", sid=SID)) == [FAILED_SMS]
    assert "RuntimeError: desk unavailable" in caplog.text  # the cause is in the log
    assert hooks.desk.acts == []
    assert messages(hooks.sms("42A", sid=SID)) == ["Alert 42 acknowledged."]  # Twilio's retry is not a replay
    assert hooks.desk.acts == [(42, "ack", "alice", "SMS")]


def test_the_desks_line_is_sent_in_gsm7(hooks: Webhooks) -> None:
    hooks.desk.act = lambda *_args: "Alert 42 was already acknowledged by Zoë — at 03:12…"  # type: ignore[method-assign]
    assert messages(hooks.sms("42A", sid=SID)) == ["Alert 42 was already acknowledged by Zoe - at 03:12..."]


def test_a_form_missing_the_sender_or_sid_is_refused(hooks: Webhooks) -> None:
    params = sample("twilio_sms_inbound_webhook_twilio_labs.json")["body"]
    for missing in ("From", "MessageSid"):
        answer = hooks.post("/twilio/sms", {k: v for k, v in params.items() if k != missing})
        assert (answer.status_code, answer.text) == (400, "missing From or MessageSid")
