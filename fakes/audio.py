"""Speech for the voice tests and benchmarks: espeak-ng speech, encoded in memory with PyAV into what chat
platforms actually carry (Telegram OGG/Opus voice notes, Slack M4A/AAC and WebM/Opus clips, MP3, WAV, 8 kHz
mu-law phone audio).

Results are cached on disk (keyed by every input) because espeak + encoding costs ~50 ms per clip and the
voice tests ask for hundreds. `use_cache_dir` points the cache at pytest's cache; otherwise a per-user temp dir.
"""

from __future__ import annotations

import array
import hashlib
import io
import math
import os
import random
import subprocess
import tempfile
import wave
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av

FORMATS = ("ogg_opus", "m4a_aac", "webm_opus", "mp3", "wav", "mulaw_8k")
VOICES = ("en-us", "en-gb", "en+f3", "en-us+m3", "en-gb+f4")
SPEEDS = (140, 160, 190)

# format -> (container, codec, sample rate, bit rate or 0 for PCM)
_ENCODINGS: dict[str, tuple[str, str, int, int]] = {
    "ogg_opus": ("ogg", "libopus", 48_000, 32_000),  # Telegram voice notes: Opus in Ogg, 48 kHz mono
    "m4a_aac": ("mp4", "aac", 44_100, 64_000),  # Slack clips recorded on iOS/macOS
    "webm_opus": ("webm", "libopus", 48_000, 32_000),  # Slack clips recorded in a browser
    "mp3": ("mp3", "libmp3lame", 22_050, 48_000),
    "wav": ("wav", "pcm_s16le", 22_050, 0),
    "mulaw_8k": ("wav", "pcm_mulaw", 8_000, 0),  # phone-call audio
}
_WAV_RATE = 22_050  # espeak-ng's native rate; silence() and noise() match it
_CACHE_VERSION = "1"

_cache_dir: Path | None = None


def use_cache_dir(path: Path) -> None:
    """Cache generated audio under `path` (the voice conftest passes pytest's cache dir)."""
    global _cache_dir
    path.mkdir(parents=True, exist_ok=True)
    _cache_dir = path


def _cache() -> Path:
    if _cache_dir is None:
        use_cache_dir(Path(tempfile.gettempdir()) / f"opsbot-test-audio-{os.getuid()}")
    assert _cache_dir is not None
    return _cache_dir


def _cached(key: str, make: Callable[[], bytes]) -> bytes:
    digest = hashlib.sha256(f"{_CACHE_VERSION}|{key}".encode()).hexdigest()[:32]
    path = _cache() / f"{digest}.bin"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data = make()
    # Other test runs may share the cache at the same time: write aside, then rename atomically.
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return data


def speak(text: str, *, voice: str = "en-us", speed: int = 160, pitch: int = 50) -> bytes:
    """`text` spoken by espeak-ng, as WAV bytes (22,050 Hz mono s16)."""

    def make() -> bytes:
        out = subprocess.run(
            ["espeak-ng", "--stdout", "-v", voice, "-s", str(speed), "-p", str(pitch), "--", text],
            check=True,
            capture_output=True,
            timeout=30,
        ).stdout
        # espeak writes a streaming header (sizes 0x7fffffff); rewrite it so every reader agrees on the length.
        return _wav(_pcm_of(out), _WAV_RATE)

    return _cached(f"speak|{voice}|{speed}|{pitch}|{text}", make)


def silence(seconds: float) -> bytes:
    """Exact digital silence, as WAV."""
    return _cached(f"silence|{seconds}", lambda: _wav(bytes(2 * round(seconds * _WAV_RATE)), _WAV_RATE))


def noise(seconds: float, *, level_dbfs: float = -30.0, seed: int = 7) -> bytes:
    """Steady white noise (fan, hiss) with no speech in it, as WAV; RMS level `level_dbfs`."""

    def make() -> bytes:
        rng = random.Random(seed)
        sigma = 32768 * 10 ** (level_dbfs / 20)
        samples = array.array("h", (max(-32768, min(32767, round(rng.gauss(0, sigma)))) for _ in range(n)))
        return _wav(samples.tobytes(), _WAV_RATE)

    n = round(seconds * _WAV_RATE)
    return _cached(f"noise|{seconds}|{level_dbfs}|{seed}", make)


def tone(seconds: float, *, hz: float = 440.0, level_dbfs: float = -12.0) -> bytes:
    """A steady sine tone, as WAV (loud, but no speech)."""

    def make() -> bytes:
        amp = 32768 * 10 ** (level_dbfs / 20) * math.sqrt(2)
        step = 2 * math.pi * hz / _WAV_RATE
        n = round(seconds * _WAV_RATE)
        return _wav(array.array("h", (round(amp * math.sin(step * i)) for i in range(n))).tobytes(), _WAV_RATE)

    return _cached(f"tone|{seconds}|{hz}|{level_dbfs}", make)


def concat(*wavs: bytes) -> bytes:
    """WAV clips of the same rate joined end to end (e.g. a 61 s note from speech and pauses)."""
    return _wav(b"".join(_pcm_of(w) for w in wavs), _WAV_RATE)


class _Stream:
    """A write-only sink: the muxer cannot seek back, as when a browser or phone records live, so headers
    carry no length (WebM without Duration, WAV with placeholder sizes, fragmented MP4)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)


def long_note(seconds: float, text: str = "scale web prod to twenty") -> bytes:
    """A WAV note of exactly `seconds`: `text` said over and over with short pauses, as a rambling speaker."""
    phrase = _pcm_of(speak(text))
    pause = bytes(2 * _WAV_RATE // 2)
    total = 2 * round(seconds * _WAV_RATE)
    pcm = (phrase + pause) * (total // (len(phrase) + len(pause)) + 1)
    return _wav(pcm[:total], _WAV_RATE)


def encode(wav: bytes, fmt: str, *, streamed: bool = False) -> bytes:
    """A WAV clip re-encoded in memory as `fmt` (one of FORMATS), mono. `streamed`: written as a live
    recorder writes it, without going back to fill in the length."""
    if fmt not in _ENCODINGS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    key = hashlib.sha256(wav).hexdigest()
    return _cached(f"encode|{fmt}|{streamed}|{key}", lambda: _encode(wav, fmt, streamed))


def _encode(wav: bytes, fmt: str, streamed: bool) -> bytes:
    container_name, codec, rate, bit_rate = _ENCODINGS[fmt]
    out: io.BytesIO | _Stream = _Stream() if streamed else io.BytesIO()
    options = {"movflags": "frag_keyframe+empty_moov"} if streamed and container_name == "mp4" else {}
    with (
        av.open(io.BytesIO(wav), mode="r") as src,
        av.open(out, mode="w", format=container_name, options=options) as dst,
    ):
        stream = dst.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        if bit_rate:
            stream.bit_rate = bit_rate
        stream.time_base = Fraction(1, rate)
        sample_formats = stream.codec_context.codec.audio_formats or []
        sample_format = sample_formats[0].name if sample_formats else "s16"
        resampler = av.AudioResampler(format=sample_format, layout="mono", rate=rate)
        pts = 0
        for frame in [*src.decode(audio=0), None]:
            for out_frame in resampler.resample(frame):
                out_frame.pts = pts
                out_frame.time_base = Fraction(1, rate)
                pts += out_frame.samples
                for packet in stream.encode(out_frame):
                    dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    return bytes(out.data) if isinstance(out, _Stream) else out.getvalue()


def _pcm_of(wav: bytes) -> bytes:
    """The s16 samples of a mono WAV, trusting the data that is there rather than the header's sizes."""
    riff = wav.find(b"data")
    if wav[:4] != b"RIFF" or riff < 0:
        raise ValueError("not a WAV clip")
    body = wav[riff + 8 :]
    return body[: len(body) - len(body) % 2]


def _wav(pcm: bytes, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()
