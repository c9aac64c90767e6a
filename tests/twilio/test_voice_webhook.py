"""A page call: Twilio fetches our TwiML, the callee hears the alert and presses a key, we act once."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx

from bot.twilio.voice import KEYS
from tests.twilio.conftest import ALICE_PHONE, BOB_PHONE, PUBLIC, SPOKEN, STRANGER_PHONE, Webhooks, sample

PAGE = "alert=42&token=p-1"
VOICE_URL = f"{PUBLIC}/twilio/voice?{PAGE}"


def twiml(answer: httpx.Response) -> ET.Element:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    return ET.fromstring(answer.text)


def spoken(root: ET.Element) -> list[str]:
    return [str(say.text) for say in root.iter("Say")]


def test_an_answered_call_hears_the_alert_and_the_keys(hooks: Webhooks) -> None:
    root = twiml(hooks.voice(PAGE))
    gather = root.find("Gather")
    assert gather is not None and gather.get("action") == VOICE_URL and gather.get("numDigits") == "1"
    assert spoken(root) == [f"{SPOKEN} {KEYS}"]
    redirect = root.find("Redirect")
    assert redirect is not None and redirect.text == VOICE_URL + "&attempt=2"  # no key: asked once more
    assert hooks.desk.acts == []


def test_the_second_reading_ends_the_call_when_no_key_is_pressed(hooks: Webhooks) -> None:
    root = twiml(hooks.voice(PAGE + "&attempt=2"))
    assert root.find("Redirect") is None
    assert spoken(root) == [f"{SPOKEN} {KEYS}", "No key pressed. Goodbye."]
    assert [child.tag for child in root] == ["Gather", "Say", "Hangup"]


def test_pressing_1_acknowledges_once_even_when_replayed(hooks: Webhooks) -> None:
    root = twiml(hooks.voice(PAGE, digits="1"))
    assert spoken(root) == ["Alert 42 acknowledged."] and root.find("Hangup") is not None
    assert hooks.desk.acts == [(42, "ack", "alice", "phone")]
    replay = twiml(hooks.voice(PAGE, digits="1"))
    assert spoken(replay) == ["Alert 42 acknowledged."]
    assert hooks.desk.acts == [(42, "ack", "alice", "phone")]


def test_2_resolves_and_9_escalates(hooks: Webhooks) -> None:
    twiml(hooks.voice(PAGE, digits="2", call="CA" + "2" * 32))
    twiml(hooks.voice(PAGE, digits="9", call="CA" + "9" * 32))
    assert hooks.desk.acts == [(42, "resolve", "alice", "phone"), (42, "escalate", "alice", "phone")]


def test_star_repeats_and_another_key_says_sorry_first(hooks: Webhooks) -> None:
    assert spoken(twiml(hooks.voice(PAGE, digits="*"))) == [f"{SPOKEN} {KEYS}"]
    for key in ("5", "0", "#"):
        assert spoken(twiml(hooks.voice(PAGE, digits=key))) == [f"Sorry. {SPOKEN} {KEYS}"], key
    assert hooks.desk.acts == []


def test_an_alert_the_desk_no_longer_knows(hooks: Webhooks) -> None:
    root = twiml(hooks.voice("alert=77&token=p-2"))
    assert spoken(root) == ["This alert is no longer known. Goodbye."] and root.find("Hangup") is not None


def test_the_callee_must_be_registered_and_paged(hooks: Webhooks) -> None:
    assert spoken(twiml(hooks.voice(PAGE, digits="1", callee=STRANGER_PHONE))) == ["This number is not registered."]
    assert spoken(twiml(hooks.voice(PAGE, digits="1", callee=BOB_PHONE))) == [
        "You were not paged for alert 42. Goodbye."
    ]
    assert hooks.desk.acts == []


def test_a_failure_behind_the_desk_asks_for_the_key_again(hooks: Webhooks) -> None:
    hooks.desk.fail_acts = 1
    root = twiml(hooks.voice(PAGE, digits="1"))
    assert spoken(root) == [f"Sorry, that did not work. {SPOKEN} {KEYS}"]
    assert hooks.desk.acts == []
    assert spoken(twiml(hooks.voice(PAGE, digits="1"))) == ["Alert 42 acknowledged."]
    assert hooks.desk.acts == [(42, "ack", "alice", "phone")]


def test_someone_calling_our_number_is_told_what_it_is_for(hooks: Webhooks) -> None:
    params = sample("twilio_voice_inbound_webhook_twilio_labs.json")["body"]  # inbound, no page in the URL
    root = twiml(hooks.post("/twilio/voice", params))
    assert spoken(root) == ["This number only calls you about alerts. Goodbye."]


def test_an_inbound_leg_is_answered_for_its_caller(hooks: Webhooks) -> None:
    params = sample("twilio_voice_inbound_webhook_twilio_labs.json")["body"]  # Direction inbound, From alice
    assert params["From"] == ALICE_PHONE
    assert spoken(twiml(hooks.post(f"/twilio/voice?{PAGE}", params | {"Digits": "1"}))) == ["Alert 42 acknowledged."]


def test_a_bad_page_in_the_url_is_refused(hooks: Webhooks) -> None:
    for query in ("alert=abc&token=t", "alert=42", "alert=&token=t", "alert=1234567890&token=t", "alert=-1&token=t"):
        answer = hooks.voice(query)
        assert (answer.status_code, answer.text) == (400, "missing or bad alert or token"), query
