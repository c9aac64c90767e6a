"""fakes.audio's notes as people send them: the SNR, the noise before and after, the speed, the level and the
clipping are what was asked, other synthesisers speak, and a seed gives the same note every time. And the voice
benchmark's clip set (bench/voice_clips.py): its commands mean what they are scored against, its cells compare
like with like."""

from __future__ import annotations

import io
import shutil
import wave

import numpy as np
import pytest

from bench import voice_clips
from bench.voice_recognition import same_intent
from core.models import IntentName
from fakes import audio
from intents.parser import parse

RATE = 22_050
PHRASE = "scale web prod to twenty"


def _read(wav: bytes) -> np.ndarray:
    with wave.open(io.BytesIO(wav)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)


def _dbfs_rms(x: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(x**2) / 32768**2))


def _needs(command: str) -> None:
    if shutil.which(command) is None:
        pytest.skip(f"{command} is not installed (Debian package: {command})")


@pytest.mark.parametrize("kind", audio.NOISE_KINDS)
@pytest.mark.parametrize("snr_db", [20.0, 10.0, 5.0])
def test_the_speech_stands_above_the_noise_by_the_snr_asked(kind: str, snr_db: float) -> None:
    speech = audio.speak(PHRASE)
    note = audio.with_noise(speech, kind=kind, snr_db=snr_db, lead_seconds=0.5, tail_seconds=0.5, seed=4)
    clean, mixed = _read(speech), _read(note)
    during = mixed[round(0.5 * RATE) :][: len(clean)]
    # The mix may have been scaled down as a whole to stay below full scale: find the speech's share in it.
    gain = float(np.dot(during, clean) / np.dot(clean, clean))
    start, end = audio.speech_span(speech)
    speech_part, noise_part = gain * clean[start:end], (during - gain * clean)[start:end]
    measured = 10 * np.log10(np.sum(speech_part**2) / np.sum(noise_part**2))
    assert abs(measured - snr_db) < 1.0


@pytest.mark.parametrize(("lead", "tail"), [(0.3, 1.5), (1.2, 0.4)])
def test_noise_alone_comes_before_and_after_the_speech(lead: float, tail: float) -> None:
    speech = audio.speak("status")
    mixed = _read(audio.with_noise(speech, kind="room", snr_db=10.0, lead_seconds=lead, tail_seconds=tail, seed=1))
    n_lead, n_tail, n_speech = round(lead * RATE), round(tail * RATE), len(_read(speech))
    assert len(mixed) == n_lead + n_speech + n_tail
    before, after = mixed[:n_lead], mixed[n_lead + n_speech :]
    spoken = mixed[n_lead : n_lead + n_speech]
    # Noise is there (not digital silence), at about 10 dB below the speech.
    for alone in (before, after):
        assert -30 < _dbfs_rms(alone) - _dbfs_rms(spoken) < -6


def test_a_noise_only_note_has_the_level_of_the_noise_in_a_note_of_that_snr() -> None:
    for kind in audio.NOISE_KINDS:
        quiet, loud = (_read(audio.noise_only(2.0, kind, snr_db=snr, seed=2)) for snr in (20.0, 5.0))
        assert len(quiet) == len(loud) == 2 * RATE
        assert abs(_dbfs_rms(loud) - (-21.0 - 5.0)) < 0.5
        assert abs(_dbfs_rms(loud) - _dbfs_rms(quiet) - 15.0) < 0.5


def test_a_word_with_noise_around_it_is_mostly_noise() -> None:
    word = _read(audio.speak("yes"))
    note = _read(audio.noise_around("yes", kind="office", snr_db=10.0, lead=1.5, tail=1.5))
    assert len(note) == len(word) + 3 * RATE


def test_a_seed_gives_the_same_note_and_another_seed_another() -> None:
    def make(seed: int) -> bytes:
        return audio.real_note(PHRASE, voice="en-gb", snr_db=5.0, kind="street", speed=1.1, seed=seed)

    assert make(3) == make(3)
    assert make(3) != make(4)


@pytest.mark.parametrize("factor", [0.85, 1.2])
def test_speed_changes_the_length_of_the_note(factor: float) -> None:
    speech = audio.speak(PHRASE)
    faster = audio.at_speed(speech, factor)
    assert abs(len(_read(faster)) * factor - len(_read(speech))) <= 2


def test_a_quiet_note_peaks_at_the_level_asked() -> None:
    note = _read(audio.real_note(PHRASE, snr_db=10.0, level=-30.0))
    assert abs(20 * np.log10(np.abs(note).max() / 32768) - (-30.0)) < 0.1


def test_an_overdriven_note_is_cut_flat_at_full_scale() -> None:
    clean = _read(audio.real_note(PHRASE, snr_db=20.0))
    hot = _read(audio.real_note(PHRASE, snr_db=20.0, level=12.0))
    assert not np.any(np.abs(clean) >= 32767)
    flat = np.mean(np.abs(hot) >= 32767)
    assert 0.01 < flat < 0.5


def test_unknown_noise_is_refused_with_the_kinds_known() -> None:
    with pytest.raises(ValueError, match="room, street, office"):
        audio.noise_only(1.0, "rain")


@pytest.mark.parametrize("voice", [v for v in audio.HELD_OUT_VOICES if v.startswith("flite:")])
def test_flite_voices_speak_a_command_in_about_two_seconds(voice: str) -> None:
    _needs("flite")
    speech = _read(audio.speak(PHRASE, voice=voice))
    assert 1.0 < len(speech) / RATE < 4.0
    assert _dbfs_rms(speech) > -35  # speech, not silence


def test_festival_speaks_a_command_in_about_two_seconds() -> None:
    _needs("text2wave")
    speech = _read(audio.speak(PHRASE, voice="festival:slt"))
    assert 1.0 < len(speech) / RATE < 4.0
    assert _dbfs_rms(speech) > -35


def test_other_synthesisers_are_not_espeak() -> None:
    _needs("flite")
    assert audio.speak(PHRASE, voice="flite:kal") != audio.speak(PHRASE, voice="flite:slt")


def test_every_command_of_the_benchmark_heard_word_for_word_is_the_command_typed() -> None:
    for said, typed in voice_clips.COMMANDS:
        heard = said.lower().replace(" d r", " dr")  # the grammar's word for the spelled-out letters
        assert parse(typed).name != IntentName.UNKNOWN, typed
        assert same_intent(heard, typed), (said, typed)
    assert not same_intent("scale web prod to thirty", "scale web-prod to 20")


def test_a_note_sounds_the_same_in_every_format_and_snr_and_its_conditions_are_as_people_send() -> None:
    notes = [
        voice_clips.clip(said, typed, voice, "ogg_opus", 10.0)
        for said, typed in voice_clips.COMMANDS
        for voice in (*audio.REAL_VOICES, *audio.HELD_OUT_VOICES)
    ]
    for note in notes:
        assert 0.85 <= note.speed <= 1.2 and 0.3 <= note.lead <= 1.5 and 0.3 <= note.tail <= 1.5
        same = voice_clips.clip(note.said, note.typed, note.voice, "mulaw_8k", 5.0)
        assert (same.kind, same.speed, same.level, same.lead, same.tail, same.seed) == (
            note.kind,
            note.speed,
            note.level,
            note.lead,
            note.tail,
            note.seed,
        )
    assert {n.kind for n in notes} == set(audio.NOISE_KINDS)
    levels = [n.level for n in notes]
    assert 0.05 < levels.count(voice_clips.QUIET_PEAK_DBFS) / len(notes) < 0.3
    assert 0.05 < levels.count(voice_clips.CLIPPED_GAIN_DB) / len(notes) < 0.3


def test_every_cell_of_a_round_hears_the_same_command() -> None:
    first = next(voice_clips.rounds(voice_clips.sample(12), ("en-us", "flite:kal")))
    assert len(first) == 2 * len(voice_clips.FORMATS) * len(voice_clips.SNRS)
    assert len({c.said for c in first}) == 1
    assert len(voice_clips.sample(12)) == len(set(voice_clips.sample(12))) == 12
