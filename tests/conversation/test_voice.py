"""Spoken commands through the conversation core: said back first, then exactly the same safety rules."""

from __future__ import annotations

import time

import pytest

from bot.runtime import Runtime
from core.models import Message, Reply
from core.settings import Settings
from fakes.audio import encode, speak
from tests.conversation.conftest import ROOM, SayFactory, button


def _voice(rt: Runtime, words: str, *, user: str = "alice", fmt: str = "ogg_opus") -> list[Reply]:
    msg = Message(ref=ROOM, sender=user, received_at=time.time())
    return rt.conversation.handle_audio(msg, encode(speak(words), fmt))


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


def test_a_spoken_failover_still_needs_a_second_admin(voiced: Runtime) -> None:
    [ask] = _voice(voiced, "fail over web prod to d r")
    assert "admin other than alice" in ask.text


def test_doubtful_transcripts_are_asked_about_first(settings: Settings, say_factory: SayFactory) -> None:
    rt, say = say_factory(settings.model_copy(update={"voice_confirm_below": 1.0}))
    [question] = _voice(rt, "scale web prod to twenty")
    assert question.text.startswith("I heard: '") and question.text.endswith("': right?")
    assert [b.label for b in question.buttons] == ["Yes", "No"]
    [ask] = say(press=button([question], "Yes"))
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
