"""What the recogniser says about how sure it is: notes in noise give the word or nothing, never more; a command
about a resource the grammar does not know is doubtful; a doubtful transcript carries the sentences it may
have been instead."""

from __future__ import annotations

import pytest

from core.settings import Settings
from fakes.audio import encode, noise_around, real_note
from tests.voice.test_accuracy import recognizer, vocabulary
from voice.conditioning import Conditioned
from voice.confidence import Evidence, Pass, alternatives, grammar_confidence
from voice.decode import decode
from voice.grammar import sentence_matcher
from voice.rivals import rivals
from voice.types import Transcript

_ASK_BELOW = Settings.model_fields["voice_confirm_below"].default


def _heard(wav: bytes, fmt: str = "ogg_opus") -> Transcript:
    return recognizer().recognize(decode(encode(wav, fmt)), vocabulary())


@pytest.mark.parametrize("kind", ["room", "street", "office"])
def test_noise_around_a_spoken_yes_is_heard_as_yes_or_nothing_never_more(kind: str) -> None:
    heard = _heard(noise_around("yes", kind=kind, snr_db=10.0, seed=1))
    assert heard.text in ("yes", "yep", "")  # "yep" is in the grammar as a yes


@pytest.mark.parametrize("level", [-30.0, 12.0])
def test_quiet_and_clipped_notes_are_recognised(level: float) -> None:
    heard = _heard(real_note("restart db prod", kind="room", snr_db=20.0, level=level))
    assert heard.text == "restart db prod"


def test_a_command_about_a_resource_outside_the_vocabulary_is_asked_about() -> None:
    heard = _heard(real_note("restart payments gateway", kind="room", snr_db=20.0))
    assert heard.text == "" or heard.confidence < _ASK_BELOW


def test_a_clear_command_is_not_asked_about() -> None:
    heard = _heard(real_note("restart db prod", kind="room", snr_db=20.0))
    assert heard.text == "restart db prod"
    assert heard.confidence >= _ASK_BELOW


def test_a_doubtful_number_comes_with_the_numbers_it_may_have_been() -> None:
    heard = _heard(real_note("acknowledge seventeen", kind="street", snr_db=10.0, seed=3))
    assert heard.text in ("acknowledge seventeen", "acknowledge seventy")
    assert heard.alternatives
    assert heard.text not in heard.alternatives
    assert {heard.text, *heard.alternatives} >= {"acknowledge seventeen", "acknowledge seventy"}


def test_rivals_are_whole_sentences_one_confusion_away() -> None:
    accepts = sentence_matcher(vocabulary())
    names = vocabulary().resource_names
    assert "acknowledge seventy" in rivals("acknowledge seventeen", names, accepts)
    assert "scale web prod to zero" in rivals("fail over web prod to dr", names, accepts)
    assert "status of azure" in rivals("status of aws", names, accepts)
    found = rivals("restart web prod", names, accepts)
    assert "restart api prod" in found and "stop web prod" in found and "restart web prod" not in found
    assert rivals("who is on call", names, accepts) == ()
    assert "scale down web prod by two" in rivals("scale up web prod by two", names, accepts)


_HEARD = Pass(text="acknowledge seventeen", frames=120, posteriors=(0.95, 0.9), spoken=90)
_CLEAR = Conditioned(samples=b"", has_speech=True, speech_seconds=1.0, snr_db=25.0, gain=1.0)


def test_alternatives_offer_other_meanings_first_and_never_the_transcript() -> None:
    evidence = Evidence(
        own=-1.5,
        rivals=(("ack seventeen", -1.4), ("acknowledge seventy", -1.6), ("acknowledge seventeen", -1.5)),
    )
    assert alternatives(_HEARD, evidence) == ("acknowledge seventy", "ack seventeen")


def test_a_close_rival_that_means_something_else_lowers_the_confidence() -> None:
    far = Evidence(own=-1.5, rivals=(("acknowledge seventy", -2.5),))
    near = Evidence(own=-1.5, rivals=(("acknowledge seventy", -1.51),))
    assert grammar_confidence(_HEARD, near, _CLEAR) < grammar_confidence(_HEARD, far, _CLEAR)


def test_audio_that_fits_the_words_badly_is_asked_about() -> None:
    assert grammar_confidence(_HEARD, Evidence(own=-3.8, rivals=()), _CLEAR) < _ASK_BELOW
    assert grammar_confidence(_HEARD, Evidence(own=-1.3, rivals=()), _CLEAR) >= _ASK_BELOW
