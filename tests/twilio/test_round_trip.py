"""A page's whole trip on real parts: TwilioPager -> the fake Twilio REST API, then Twilio's side played back
into the webhooks with the URLs the page gave it: the call's TwiML, the keypress, the final status."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET

from bot.twilio.client import TwilioPager
from bot.twilio.sms import page_text
from fakes.twilio_api import FakeTwilioAPI
from tests.twilio.conftest import ACCOUNT, ALICE_PHONE, OUR_NUMBER, PUBLIC, SPOKEN, Webhooks, twilio_settings
from tests.twilio.test_sms_text import alert
from workers.paging import PageRef

PAGE = PageRef(alert=42, token="esc-42-step-3", person="alice")


def local(url: str | None) -> str:
    """The path and query of a callback URL we gave Twilio (Twilio calls PUBLIC; the test calls the app)."""
    assert url is not None and url.startswith(PUBLIC + "/")
    return url.removeprefix(PUBLIC)


def test_a_call_page_from_placing_to_keypress_to_final_status(fake_twilio: FakeTwilioAPI, hooks: Webhooks) -> None:
    pager = TwilioPager(twilio_settings(twilio_api_url=fake_twilio.url))
    placing = threading.Thread(target=pager.call, args=(ALICE_PHONE, PAGE))  # as an escalation worker would
    placing.start()
    fake_twilio.wait_for(lambda api: len(api.calls_placed) == 1)
    placing.join()
    [call] = fake_twilio.calls_placed
    leg = {"AccountSid": ACCOUNT, "CallSid": call.sid, "From": OUR_NUMBER, "To": ALICE_PHONE,
           "Direction": "outbound-api", "ApiVersion": "2010-04-01"}  # fmt: skip

    answered = ET.fromstring(hooks.post(local(call.url), leg | {"CallStatus": "in-progress"}).text)
    gather = answered.find("Gather")
    assert gather is not None and SPOKEN in "".join(answered.itertext())
    pressed = hooks.post(local(gather.get("action")), leg | {"CallStatus": "in-progress", "Digits": "1"})
    assert "Alert 42 acknowledged." in pressed.text
    done = hooks.post(local(call.status_callback), leg | {"CallStatus": "completed", "CallDuration": "31"})
    assert done.status_code == 204

    assert hooks.desk.acts == [(42, "ack", "alice", "phone")]
    assert hooks.desk.results == [(42, "esc-42-step-3", "completed", None)]


def test_an_sms_page_and_its_delivery_report(fake_twilio: FakeTwilioAPI, hooks: Webhooks) -> None:
    pager = TwilioPager(twilio_settings(twilio_api_url=fake_twilio.url))
    sid = pager.sms(ALICE_PHONE, page_text(alert()), PAGE)
    [sms] = fake_twilio.sms_sent
    assert sms.body == "ALERT 42 CRIT web-prod 5xx>5%. Reply 42A ack, 42R resolve"
    report = {"AccountSid": ACCOUNT, "MessageSid": sid, "SmsSid": sid, "From": OUR_NUMBER, "To": ALICE_PHONE}
    for word in ("sent", "undelivered"):
        extra = {"ErrorCode": "30003"} if word == "undelivered" else {}
        assert hooks.post(local(sms.status_callback), report | {"MessageStatus": word, **extra}).status_code == 204
    assert hooks.desk.results == [
        (42, "esc-42-step-3", "sent", None),
        (42, "esc-42-step-3", "undelivered 30003", False),
    ]
