"""A voice note is never slow: recognition stops at a budget proportional to the note's speech, and a note cut
short by it is never a confident transcript. Time is a parameter (the recogniser's clock), so these tests move
time instead of measuring it."""

from __future__ import annotations

from functools import cache

from fakes.audio import encode, long_note, real_note, speak, with_noise
from tests.voice.test_accuracy import vocabulary
from voice.budget import MAX_SECONDS, budget_for
from voice.decode import decode
from voice.pocketsphinx_backend import PocketSphinxRecognizer


class SteppingClock:
    """A clock that moves on by `step` seconds every time it is read: a machine as slow as one likes."""

    def __init__(self, step: float) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@cache
def slow_machine() -> PocketSphinxRecognizer:
    return PocketSphinxRecognizer(clock=SteppingClock(10.0))


@cache
def stopped_clock() -> PocketSphinxRecognizer:
    return PocketSphinxRecognizer(clock=lambda: 0.0)


def test_the_budget_grows_with_the_speech_and_is_capped() -> None:
    assert budget_for(2.0).seconds == 1.0
    assert budget_for(4.0).seconds == 1.5
    assert budget_for(300.0).seconds == MAX_SECONDS == 2.5
    clock = SteppingClock(0.4)
    budget = budget_for(2.0, clock)
    assert budget.allows(0.5)  # 0.4 s gone when asked
    assert not budget.allows(0.5)  # 0.8 s gone


def test_half_a_minute_of_chatter_in_office_noise_is_cut_short_and_never_confident() -> None:
    chatter = with_noise(long_note(30.0, "did you see the numbers from last week"), kind="office", snr_db=5.0)
    transcript = stopped_clock().recognize(decode(encode(chatter, "ogg_opus")), vocabulary())
    assert transcript.cut_short
    assert transcript.text == "" or transcript.confidence <= 0.5


def test_a_command_whose_recognition_overruns_keeps_its_words_but_is_asked_about() -> None:
    pcm = decode(encode(real_note("restart db prod", kind="office", snr_db=10.0), "ogg_opus"))
    transcript = slow_machine().recognize(pcm, vocabulary())
    assert transcript.cut_short
    assert transcript.text in ("", "restart db prod")
    assert transcript.confidence <= 0.5


def test_a_note_recognised_in_time_is_not_cut_short() -> None:
    pcm = decode(encode(speak("restart db prod"), "ogg_opus"))
    transcript = stopped_clock().recognize(pcm, vocabulary())
    assert transcript.text == "restart db prod"
    assert not transcript.cut_short
    assert transcript.confidence > 0.5
