"""voice.decode: every format chat platforms send becomes 16 kHz mono PCM; everything else is refused with
the one plain line the user sees."""

from __future__ import annotations

import array
import io
import math
import random
import struct
import wave
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import VoiceInputError
from fakes import audio
from voice.decode import decode
from voice.types import SAMPLE_RATE

PHRASE = "scale web prod to twenty"
SOURCE_FORMATS = {
    "ogg_opus": "ogg/opus",
    "m4a_aac": "mp4/aac",
    "webm_opus": "webm/opus",
    "mp3": "mp3/mp3",
    "wav": "wav/pcm_s16le",
    "mulaw_8k": "wav/pcm_mulaw",
}
STRUCTURED = ("ogg_opus", "m4a_aac", "webm_opus", "mp3")  # formats whose damage is detectable (not raw PCM)


def _wav_seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as w:
        frames: int = w.getnframes()
        rate: int = w.getframerate()
        return frames / rate


def _rms(pcm: bytes) -> float:
    samples = array.array("h", pcm)
    return math.sqrt(sum(x * x for x in samples) / len(samples))


def _refusal(data: bytes, **limits: float) -> str:
    with pytest.raises(VoiceInputError) as info:
        decode(data, **limits)  # type: ignore[arg-type]
    return str(info.value)


@pytest.mark.parametrize("fmt", audio.FORMATS)
def test_every_format_decodes_to_16k_mono_of_the_right_length_and_loudness(fmt: str) -> None:
    wav = audio.speak(PHRASE)

    pcm = decode(audio.encode(wav, fmt))

    assert pcm.seconds == pytest.approx(_wav_seconds(wav), abs=0.05)
    assert len(pcm.samples) / 2 / SAMPLE_RATE == pytest.approx(_wav_seconds(wav), abs=0.05)
    assert pcm.source_format == SOURCE_FORMATS[fmt]
    # Same speech at the same level: catches wrong sample formats, channels or rates, which all change it.
    assert 20 * math.log10(_rms(pcm.samples) / _rms(audio.speak(PHRASE)[44:])) == pytest.approx(0, abs=1.5)


@pytest.mark.parametrize("voice", audio.VOICES)
def test_short_commands_in_every_voice_decode(voice: str) -> None:
    wav = audio.speak("status", voice=voice, speed=190, pitch=70)

    assert decode(audio.encode(wav, "ogg_opus")).seconds == pytest.approx(_wav_seconds(wav), abs=0.05)


@pytest.mark.parametrize("fmt", ["webm_opus", "m4a_aac", "wav", "mp3"])
def test_live_recorded_files_without_a_length_in_the_header_decode(fmt: str) -> None:
    wav = audio.speak(PHRASE)

    assert decode(audio.encode(wav, fmt, streamed=True)).seconds == pytest.approx(_wav_seconds(wav), abs=0.1)


def test_stereo_48k_is_mixed_down_to_mono_16k() -> None:
    mono = array.array("h", audio.speak(PHRASE)[44:])
    stereo = array.array("h", (s for x in mono for s in (x, x)))
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(22_050)
        w.writeframes(stereo.tobytes())

    pcm = decode(audio.encode(out.getvalue(), "ogg_opus"))

    assert pcm.seconds == pytest.approx(len(mono) / 22_050, abs=0.05)


def test_a_long_note_under_the_limit_decodes_whole() -> None:
    pcm = decode(audio.encode(audio.long_note(45), "ogg_opus"))

    assert pcm.seconds == pytest.approx(45, abs=0.05)


@pytest.mark.parametrize("fmt", audio.FORMATS)
def test_a_note_over_the_limit_is_refused_with_its_length(fmt: str) -> None:
    data = audio.encode(audio.long_note(61), fmt)

    assert _refusal(data) == "That voice note is 61 s long; the limit is 60 s."
    assert _refusal(audio.encode(audio.long_note(5), fmt), max_seconds=3) == (
        "That voice note is 5 s long; the limit is 3 s."
    )


def test_a_long_live_recording_with_no_length_in_its_header_is_refused_at_the_limit() -> None:
    data = audio.encode(audio.long_note(75), "webm_opus", streamed=True)

    assert _refusal(data) == "That voice note is longer than 60 s; the limit is 60 s."


def test_a_header_claiming_days_of_audio_in_a_small_file_is_damaged_not_too_long() -> None:
    data = bytearray(audio.encode(audio.speak(PHRASE), "webm_opus"))
    duration = data.find(b"\x44\x89\x88")  # WebM Info/Duration, an 8-byte float in milliseconds
    struct.pack_into(">d", data, duration + 3, 3 * 86_400_000.0)

    assert _refusal(bytes(data)) == "That audio file is damaged or cut short."


def test_an_oversized_file_is_refused_before_decoding() -> None:
    data = audio.encode(audio.speak(PHRASE), "wav")

    assert _refusal(data, max_bytes=50_000) == "That file is 94 kB; the limit is 50 kB."
    assert _refusal(b"\0" * 11_000_000) == "That file is 11 MB; the limit is 10 MB."


@pytest.mark.parametrize("fmt", audio.FORMATS)
def test_a_file_cut_in_half_is_damaged(fmt: str) -> None:
    data = audio.encode(audio.speak(PHRASE), fmt)

    assert _refusal(data[: len(data) // 2]) == "That audio file is damaged or cut short."
    assert _refusal(data[: len(data) * 9 // 10]) == "That audio file is damaged or cut short."


@pytest.mark.parametrize("fmt", STRUCTURED)
def test_a_file_with_garbage_in_the_middle_is_damaged(fmt: str) -> None:
    data = audio.encode(audio.speak(PHRASE), fmt)
    third = len(data) // 3
    garbage = random.Random(1).randbytes(third)

    assert _refusal(data[:third] + garbage + data[2 * third :]) == "That audio file is damaged or cut short."


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "That voice note is empty."),
        (random.Random(3).randbytes(5000), "That file is not audio."),
        (b"Deploy notes: scale web-prod to 20 after the freeze.\n" * 40, "That file is not audio."),
        (
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0\x90\x91h6" + bytes(200),
            "That file is not audio.",
        ),
    ],
    ids=["empty", "random-bytes", "text", "png"],
)
def test_non_audio_is_refused(data: bytes, message: str) -> None:
    assert _refusal(data) == message


@pytest.mark.parametrize("fmt", audio.FORMATS)
@pytest.mark.parametrize(
    "make",
    [lambda: audio.silence(2), lambda: audio.noise(2), lambda: audio.noise(2, level_dbfs=-65), lambda: audio.tone(2)],
    ids=["silence", "hiss", "faint-hiss", "tone"],
)
def test_a_note_without_speech_is_refused(fmt: str, make: Callable[[], bytes]) -> None:
    assert _refusal(audio.encode(make(), fmt)) == "I couldn't hear anything in that voice note."


def test_speech_after_a_long_pause_is_heard() -> None:
    wav = audio.concat(audio.silence(6), audio.speak("restart web prod"))

    assert decode(audio.encode(wav, "m4a_aac")).seconds == pytest.approx(_wav_seconds(wav), abs=0.05)


def test_a_wav_with_a_header_and_no_samples_is_empty() -> None:
    assert _refusal(audio.silence(0)) == "That voice note is empty."


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(audio.FORMATS), cuts=st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=64))))
def test_mangled_audio_only_ever_yields_pcm_or_a_plain_refusal(fmt: str, cuts: list[tuple[int, bytes]]) -> None:
    data = bytearray(audio.encode(audio.speak("stop db one"), fmt))
    for where, junk in cuts:
        at = where % (len(data) + 1)
        data[at : at + len(junk)] = junk
    try:
        pcm = decode(bytes(data))
    except VoiceInputError as err:
        assert "\n" not in str(err)
        assert str(err).endswith(".")
    else:
        assert pcm.seconds > 0
