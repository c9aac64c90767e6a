"""Spoken commands through the conversation core: said back first, then exactly the same safety rules."""

from __future__ import annotations

import re
import time

import pytest

from bot.runtime import Runtime
from conversation.voice import VoiceFlow
from core.models import Message, Reply
from core.settings import Settings
from fakes.audio import encode, speak
from tests.conversation.conftest import ROOM, SayFactory, button
from voice.pipeline import Heard


def _voice(rt: Runtime, words: str, *, user: str = "alice", fmt: str = "ogg_opus") -> list[Reply]:
    return voice_note(rt, speak(words), user=user, fmt=fmt)


def voice_note(rt: Runtime, wav: bytes, *, user: str = "alice", fmt: str = "ogg_opus") -> list[Reply]:
    """A voice note (WAV, sent encoded as `fmt`) through the whole conversation: recogniser included."""
    msg = Message(ref=ROOM, sender=user, received_at=time.time())
    return rt.conversation.handle_audio(msg, encode(wav, fmt))


def heard(text: str, confidence: float = 0.95, *alternatives: str, constrained: bool = True) -> Heard:
    """What a recogniser could have made of a note: for the cases a synthetic voice cannot be relied on to give."""
    return Heard(
        text=text, confidence=confidence, backend="pocketsphinx", constrained=constrained,
        alternatives=alternatives, audio_seconds=2.0, decode_ms=8.0, recognize_ms=300.0,
    )  # fmt: skip


def understood(rt: Runtime, what: Heard, *, user: str = "alice") -> list[Reply]:
    """A transcript handed to the voice flow at its seam after recognition, then the conversation as usual."""
    flow = VoiceFlow(rt.conversation.voice, rt.conversation.services)
    msg = Message(ref=ROOM, sender=user, received_at=time.time())
    return flow.understood(msg, user, what, rt.conversation.dispatch)


@pytest.fixture
def voiced(settings: Settings, say_factory: SayFactory) -> Runtime:
    return say_factory(settings.model_copy(update={"voice_confirm_below": 0.0}))[0]


def test_a_spoken_read_is_said_back_then_answered(voiced: Runtime) -> None:
    [answer] = _voice(voiced, "status of production")
    first, second, *_ = answer.text.splitlines()
    assert first.startswith("I heard: 'status") and "prod" in first
    assert second.startswith("prod: ")


def test_a_spoken_change_still_needs_its_confirmation(voiced: Runtime) -> None:
    [ask] = _voice(voiced, "scale web prod to twenty")
    assert ask.text.startswith("I heard: ")
    assert "web-prod (AWS us-east-1): 12 -> 20 instances" in ask.text
    assert [b.label for b in ask.buttons] == ["Confirm", "Cancel"]
    assert voiced.conversation.services.provider.get("web-prod").count == 12


def test_a_spoken_failover_is_said_back_then_still_needs_a_second_admin(voiced: Runtime) -> None:
    [question] = _voice(voiced, "fail over web prod to d r")
    # "fail over" or "failover": the recogniser has both, and both are the same command
    assert re.match(r"I heard: 'fail ?over web prod to d", question.text) and question.text.endswith("': right?")
    [ask] = press(voiced, button([question], "Yes"))
    assert "admin other than alice" in ask.text


def press(rt: Runtime, button_id: str, *, user: str = "alice") -> list[Reply]:
    return rt.conversation.handle(Message(ref=ROOM, sender=user, button_id=button_id, received_at=time.time()))


def test_doubtful_transcripts_are_asked_about_first(settings: Settings, say_factory: SayFactory) -> None:
    rt, say = say_factory(settings.model_copy(update={"voice_confirm_below": 1.0}))
    [question] = _voice(rt, "scale web prod to twenty")
    # Asked either way: "Did you say ...?" when the recogniser's other likely sentences mean something else.
    labels = [b.label for b in question.buttons]
    if labels == ["Yes", "No"]:
        assert question.text == "I heard: 'scale web prod to twenty': right?"
    else:
        # two readings ("'A' or 'B'?") or more ("'A', 'B' or 'C'?"), as the recogniser's n-best list has them
        assert re.match(r"Did you say 'scale web prod to twenty'(, | or )'", question.text), question.text
        assert labels[-1] == "Neither"
    [ask] = say(press=button([question], labels[0]))
    assert ask.kind == "confirm" and "12 -> 20 instances" in ask.text


def test_bad_audio_gets_one_line_and_nothing_else(voiced: Runtime) -> None:
    msg = Message(ref=ROOM, sender="alice", received_at=time.time())
    [refusal] = voiced.conversation.handle_audio(msg, b"OggS" + b"\x00" * 500)
    assert refusal.kind == "refusal" and len(refusal.text.splitlines()) == 1


def test_a_spoken_act_on_an_alert_is_always_asked_about(voiced: Runtime) -> None:
    # However sure the recogniser is (voiced asks below 0.0, i.e. never), acting on an alert by its number is
    # said back with Yes / No first: a misheard number would stop another alert's paging.
    [question] = _voice(voiced, "silence alert four two for one hour")
    assert question.text == "I heard: 'silence alert four two for one hour': right?"
    assert [b.label for b in question.buttons] == ["Yes", "No"]
    [answer] = _voice(voiced, "who is on call")
    assert answer.text.startswith("I heard: 'who is on call'\nOn call now")
