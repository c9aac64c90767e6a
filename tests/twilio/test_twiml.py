"""The TwiML a page call answers with: the alert and its keys inside a one-key Gather, one repeat, goodbye."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from bot.twilio.voice import KEYS, prompt, said

ACTION = "https://ops.example.com/twilio/voice?alert=42&token=t1"


def test_a_prompt_gathers_one_key_after_saying_the_alert_and_repeats_once() -> None:
    root = ET.fromstring(prompt("Critical alert 42 & more <now>.", ACTION, repeat_url=ACTION + "&attempt=2"))
    gather, redirect = list(root)
    assert gather.tag == "Gather"
    assert gather.attrib == {"numDigits": "1", "action": ACTION, "method": "POST", "timeout": "10"}
    [say] = list(gather)
    assert say.text == f"Critical alert 42 & more <now>. {KEYS}"
    assert KEYS == "Press 1 to acknowledge, 2 to resolve, 9 to escalate, star to repeat."
    assert (redirect.tag, redirect.text, redirect.attrib) == ("Redirect", ACTION + "&attempt=2", {"method": "POST"})


def test_the_last_prompt_says_goodbye_when_no_key_is_pressed() -> None:
    root = ET.fromstring(prompt("Alert 42.", ACTION))
    assert [child.tag for child in root] == ["Gather", "Say", "Hangup"]
    assert root[1].text == "No key pressed. Goodbye."


def test_said_speaks_and_hangs_up() -> None:
    root = ET.fromstring(said("Alert 42 acknowledged."))
    assert [(child.tag, child.text) for child in root] == [("Say", "Alert 42 acknowledged."), ("Hangup", None)]


def test_characters_illegal_in_xml_never_reach_the_document() -> None:
    """ESC, BEL, NUL and U+FFFE are valid JSON in an alert; in TwiML each would make the call unreadable."""
    hostile = "Critical\x1b[0m alert\x07 42\x00: disk\ufffe full \u202eon db-1\ud800."
    for twiml in (prompt(hostile, ACTION), said(hostile)):
        root = ET.fromstring(twiml)
        [text] = [say.text for say in root.iter("Say") if say.text and "Critical" in say.text]
        assert text.startswith("Critical[0m alert 42: disk full on db-1.")
