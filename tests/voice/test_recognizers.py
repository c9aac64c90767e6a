"""The command grammar, the PocketSphinx recogniser behind the Recognizer interface, and backend choice."""

from __future__ import annotations

import array
import random
from pathlib import Path

import pytest

from core.errors import VoiceSetupError
from core.settings import Settings
from fakes.audio import encode, speak
from intents.parser import parse
from tests.voice.test_accuracy import recognizer, vocabulary
from voice import backends
from voice.decode import decode
from voice.grammar import build_vocabulary, jsgf, sentence_matcher, spoken_name
from voice.pocketsphinx_backend import dither
from voice.types import Pcm


def test_resource_names_are_spoken_as_words() -> None:
    assert spoken_name("web-prod") == "web prod"
    assert spoken_name("checkout-prod-vm-17") == "checkout prod vm seventeen"
    assert spoken_name("db_2") == "db two"
    assert spoken_name("api-dr") == "api dr"


def test_vocabulary_holds_command_words_numbers_and_names() -> None:
    vocab = build_vocabulary(["web-prod", "guestlist-staging"])
    assert vocab.resource_names == ("guestlist staging", "web prod")
    for word in ("scale", "failover", "acknowledge", "twenty", "guestlist", "production"):
        assert word in vocab.words
    assert "fail over" in vocab.phrases
    assert all(word.isalpha() for phrase in vocab.phrases for word in phrase.split())
    assert build_vocabulary(["web-prod"]).version != build_vocabulary(["web-prod", "db-prod"]).version


def test_every_grammar_sentence_shape_parses_to_a_command() -> None:
    accepts = sentence_matcher(vocabulary())
    for text in ("scale web prod to twenty", "fail over web prod to dr", "yes", "acknowledge forty two"):
        assert accepts(text)
        assert parse(text).name != "unknown"
    assert not accepts("scale the")  # a partial path is not a command


def test_grammar_lists_every_resource_name() -> None:
    grammar = jsgf(build_vocabulary(["web-prod", "rsvp-dr"]))
    assert "rsvp dr" in grammar and "web prod" in grammar


def test_a_spoken_command_is_recognised_by_the_grammar() -> None:
    transcript = recognizer().recognize(decode(encode(speak("restart db prod"), "ogg_opus")), vocabulary())
    assert transcript.text == "restart db prod"
    assert transcript.constrained
    assert transcript.backend == "pocketsphinx"
    assert 0.5 < transcript.confidence <= 1.0


def test_resource_names_outside_the_dictionary_are_recognised() -> None:
    vocab = build_vocabulary(["guestlist-staging", "etl-prod"])
    transcript = recognizer().recognize(decode(encode(speak("restart guestlist staging"), "ogg_opus")), vocab)
    assert transcript.text == "restart guestlist staging"


def test_speech_outside_the_grammar_is_not_forced_into_a_partial_command() -> None:
    pcm = decode(encode(speak("the quick brown fox jumps over the lazy dog"), "ogg_opus"))
    transcript = recognizer().recognize(pcm, vocabulary())
    assert not transcript.constrained or sentence_matcher(vocabulary())(transcript.text)


def test_hiss_alone_gives_no_confident_command() -> None:
    rng = random.Random(3)
    hiss = array.array("h", (round(rng.gauss(0, 300)) for _ in range(24_000)))
    transcript = recognizer().recognize(Pcm(samples=hiss.tobytes(), seconds=1.5), vocabulary())
    assert transcript.text == "" or transcript.confidence < 0.9 or not transcript.constrained


def test_dither_keeps_audio_length_and_breaks_digital_silence() -> None:
    out = dither(bytes(3200))
    assert len(out) == 3200 and out != bytes(3200)
    assert max(abs(int.from_bytes(out[i : i + 2], "little", signed=True)) for i in range(0, 3200, 2)) <= 2


def test_auto_backend_is_pocketsphinx_without_a_vosk_model_and_is_loaded_once() -> None:
    settings = Settings()
    first = backends.load_recognizer(settings)
    assert first.name == "pocketsphinx"
    assert backends.load_recognizer(settings) is first
    assert backends.check(settings) == []
    assert "OPSBOT_VOSK_MODEL" in backends.model_help(settings)


def test_a_vosk_model_that_cannot_load_is_a_clear_setup_error(tmp_path: Path) -> None:
    settings = Settings(vosk_model=tmp_path / "missing")
    assert backends.backend_name(settings) == "vosk"
    with pytest.raises(VoiceSetupError, match="No Vosk model in"):
        backends.load_recognizer(settings)
    assert backends.check(settings) == [f"OPSBOT_VOSK_MODEL: {tmp_path / 'missing'} is not a directory."]
    assert str(tmp_path / "missing") in backends.model_help(settings)


def test_vosk_backend_without_a_model_is_a_setup_error() -> None:
    settings = Settings(voice_backend="vosk")
    with pytest.raises(VoiceSetupError, match="OPSBOT_VOSK_MODEL is not set"):
        backends.load_recognizer(settings)
    assert backends.check(settings) == ["OPSBOT_VOICE_BACKEND is vosk but OPSBOT_VOSK_MODEL is not set."]
