"""Front-end conditioning: a note of noise has no speech, the noise around speech is cut off, quiet speech is
raised and clipped speech is not made louder."""

from __future__ import annotations

import pytest

from fakes.audio import encode, noise_only, real_note
from tests.voice.test_accuracy import recognizer, vocabulary
from voice.conditioning import condition
from voice.decode import decode

_RATE = 16_000


def _pcm(wav: bytes, fmt: str = "ogg_opus") -> bytes:
    return decode(encode(wav, fmt)).samples


@pytest.mark.parametrize(("kind", "seed"), [("street", 0), ("street", 2), ("room", 0)])
def test_a_note_of_noise_alone_has_no_speech_and_no_words(kind: str, seed: int) -> None:
    note = decode(encode(noise_only(3.0, kind, snr_db=10.0, seed=seed), "ogg_opus"))
    assert not condition(note.samples).has_speech
    assert recognizer().recognize(note, vocabulary()).text == ""


def test_the_noise_before_and_after_the_words_is_cut_off() -> None:
    samples = _pcm(real_note("restart db prod", kind="room", snr_db=10.0, lead=1.5, tail=1.5))
    conditioned = condition(samples)
    assert conditioned.has_speech
    assert len(conditioned.samples) < len(samples) - 2 * _RATE * 2  # at least 2 s of the 3 s of noise is gone
    assert 0.5 < conditioned.speech_seconds < 2.0


def test_a_quiet_note_is_raised_and_a_clipped_one_is_left_as_it_is() -> None:
    quiet = condition(_pcm(real_note("restart db prod", kind="room", snr_db=20.0, level=-30.0)))
    assert quiet.gain > 10
    clipped = condition(_pcm(real_note("restart db prod", kind="room", snr_db=20.0, level=12.0), "wav"))
    assert clipped.gain == 1.0


def test_too_short_a_note_has_no_speech() -> None:
    assert not condition(bytes(400)).has_speech
