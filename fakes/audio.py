"""Speech for the voice tests and benchmarks: espeak-ng, flite and festival speech, made into notes as people
send them (room/street/office noise around and under the speech at a given SNR, faster or slower, quiet or
clipped), encoded in memory with PyAV into what chat platforms actually carry (Telegram OGG/Opus voice notes,
Slack M4A/AAC and WebM/Opus clips, MP3, WAV, 8 kHz mu-law phone audio).

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
import numpy as np

FORMATS = ("ogg_opus", "m4a_aac", "webm_opus", "mp3", "wav", "mulaw_8k")
VOICES = ("en-us", "en-gb", "en+f3", "en-us+m3", "en-gb+f4")
# The espeak voices the recogniser is tuned on, and speech from other synthesisers kept out of its tuning.
REAL_VOICES = ("en-us", "en-gb", "en-us+m3", "en+f3")
HELD_OUT_VOICES = ("flite:kal", "flite:slt", "flite:awb", "flite:rms", "festival:slt")
NOISE_KINDS = ("room", "street", "office")
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
    """`text` spoken as WAV bytes (22,050 Hz mono s16): by espeak-ng, or by flite ("flite:kal", "flite:slt",
    "flite:awb", "flite:rms") or festival ("festival:slt"), whose own rate is kept (`speed`, `pitch` are
    espeak's only; see `at_speed`)."""
    engine, _, name = voice.partition(":")
    if engine in ("flite", "festival") and name:
        return _cached(f"speak|{voice}|{text}", lambda: _resampled(_other_synthesiser(engine, name, text)))

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


def _other_synthesiser(engine: str, name: str, text: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "speech.wav"
        if engine == "flite":
            command = ["flite", "-voice", name, "-t", text, "-o", str(out)]
            subprocess.run(command, check=True, capture_output=True, timeout=30)
        else:
            voices = {"slt": "cmu_us_slt_arctic_hts"}
            command = ["text2wave", "-eval", f"(voice_{voices.get(name, name)})", "-o", str(out)]
            subprocess.run(command, input=text.encode(), check=True, capture_output=True, timeout=60)
        return out.read_bytes()


def _resampled(wav: bytes) -> bytes:
    """Any mono WAV (flite speaks at 8 or 16 kHz, festival at 32 kHz) as WAV at this module's rate."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=_WAV_RATE)
    pcm = bytearray()
    with av.open(io.BytesIO(wav), mode="r") as src:
        for frame in [*src.decode(audio=0), None]:
            for out_frame in resampler.resample(frame):
                pcm += out_frame.to_ndarray().astype("<i2").tobytes()
    return _wav(bytes(pcm), _WAV_RATE)


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


# --- Notes as people send them -------------------------------------------------------------------------------
# Everything below works on float samples at full scale 32768 and is deterministic for a given seed.

_FULL_SCALE = 32768.0
_TYPICAL_SPEECH_DBFS = -21.0  # RMS of espeak/flite speech over its active part, as measured on these voices


def at_speed(wav: bytes, factor: float) -> bytes:
    """The note `factor` times as fast (0.85-1.2 as people speak), by resampling: the pitch moves with the tempo
    (up to 20% at 1.2x), as a tape played faster, which a speaker's own change of pace does not do. `real_note`
    uses it only for synthesisers without a rate setting (flite, festival); espeak speaks at the rate asked."""
    if not 0.5 <= factor <= 2.0:
        raise ValueError(f"speed factor {factor} out of 0.5-2.0")
    x = _samples(wav)
    n = max(1, round(len(x) / factor))
    return _from_samples(np.interp(np.arange(n) * factor, np.arange(len(x)), x))


def at_level(wav: bytes, peak_dbfs: float) -> bytes:
    """The note scaled so that its loudest sample is at `peak_dbfs` (e.g. -30: a phone held far away)."""
    x = _samples(wav)
    peak = float(np.abs(x).max()) or 1.0
    return _from_samples(x * (_FULL_SCALE * 10 ** (peak_dbfs / 20) / peak))


def clipped(wav: bytes, gain_db: float) -> bytes:
    """The note amplified by `gain_db` and cut flat at full scale: an overdriven phone microphone."""
    return _from_samples(_samples(wav) * 10 ** (gain_db / 20))


def speech_span(wav: bytes) -> tuple[int, int]:
    """First and last+1 sample of the speech in a clip (samples above 1% of its peak): synthesisers leave
    up to 0.25 s of silence at the ends, which is not counted as speech when an SNR is set."""
    x = np.abs(_samples(wav))
    loud = np.flatnonzero(x > 0.01 * max(float(x.max()), 1.0))
    return (int(loud[0]), int(loud[-1]) + 1) if len(loud) else (0, len(x))


def with_noise(
    wav: bytes,
    *,
    kind: str = "room",
    snr_db: float = 10.0,
    lead_seconds: float = 0.6,
    tail_seconds: float = 0.6,
    seed: int = 0,
) -> bytes:
    """Speech with noise of `kind` (room, street, office) before, under and after it: `lead_seconds` of noise
    alone, the speech, `tail_seconds` of noise alone. `snr_db` is speech power over noise power, both measured
    over the speech's span (`speech_span`). The mix is scaled down as a whole if it would clip."""
    speech = _samples(wav)
    lead, tail = round(lead_seconds * _WAV_RATE), round(tail_seconds * _WAV_RATE)
    noise_part = _noise(kind, lead + len(speech) + tail, seed)
    start, end = speech_span(wav)
    speech_power = float(np.mean(speech[start:end] ** 2)) or 1.0
    noise_power = float(np.mean(noise_part[lead + start : lead + end] ** 2)) or 1.0
    mix = noise_part * math.sqrt(speech_power / noise_power / 10 ** (snr_db / 10))
    mix[lead : lead + len(speech)] += speech
    peak = float(np.abs(mix).max())
    if peak > 0.97 * _FULL_SCALE:
        mix *= 0.97 * _FULL_SCALE / peak
    return _from_samples(mix)


def real_note(
    text: str,
    *,
    voice: str = "en-us",
    snr_db: float | None = 10.0,
    kind: str = "room",
    speed: float = 1.0,
    level: float | None = None,
    lead: float = 0.6,
    tail: float = 0.6,
    seed: int = 0,
) -> bytes:
    """`text` as a voice note: spoken by `voice` (espeak at its own rate times `speed`, other synthesisers
    resampled by `at_speed`), in `kind` noise at `snr_db` (None: clean, no lead/tail), then brought to a peak of
    `level` dBFS if given: below 0 a quiet note, above 0 an overdriven one cut flat at full scale."""
    if voice.partition(":")[2]:
        speech = speak(text, voice=voice)
        speech = speech if speed == 1.0 else at_speed(speech, speed)
    else:
        speech = speak(text, voice=voice, speed=round(160 * speed))
    note = (
        speech
        if snr_db is None
        else with_noise(speech, kind=kind, snr_db=snr_db, lead_seconds=lead, tail_seconds=tail, seed=seed)
    )
    if level is None:
        return note
    return clipped(at_level(note, 0.0), level) if level > 0 else at_level(note, level)


def noise_only(seconds: float, kind: str = "room", *, snr_db: float = 10.0, seed: int = 0) -> bytes:
    """A note with no speech: `kind` noise at the level it has in a `real_note` of `snr_db` (typical speech at
    -21 dBFS RMS), e.g. a pocket recording or a note sent by mistake."""
    x = _noise(kind, round(seconds * _WAV_RATE), seed)
    rms = math.sqrt(float(np.mean(x**2))) or 1.0
    return _from_samples(x * (_FULL_SCALE * 10 ** ((_TYPICAL_SPEECH_DBFS - snr_db) / 20) / rms))


def noise_around(
    word_text: str,
    *,
    voice: str = "en-us",
    kind: str = "room",
    snr_db: float = 10.0,
    lead: float = 1.5,
    tail: float = 1.5,
    seed: int = 0,
) -> bytes:
    """A single word ("yes") with long stretches of noise around it: what a recogniser must not take for more."""
    return real_note(word_text, voice=voice, snr_db=snr_db, kind=kind, lead=lead, tail=tail, seed=seed)


def _noise(kind: str, n: int, seed: int) -> np.ndarray:
    """`n` samples of `kind` noise with unit RMS."""
    rng = np.random.default_rng(seed)
    seconds = np.arange(n) / _WAV_RATE
    if kind == "room":  # fan/air conditioning: low-passed pink noise, mains hum, a little hiss
        hum = np.zeros(n)
        for k, hz in enumerate((50, 100, 150), 1):
            hum += np.sin(2 * np.pi * hz * seconds + rng.uniform(0, 6.3)) / k
        parts = [(_coloured(rng, n, 0.5, lowpass_hz=1500), 1.0), (hum, 0.25), (rng.standard_normal(n), 0.12)]
    elif kind == "street":  # traffic: brown rumble with cars passing (slow swells), a little broadband
        swells = np.ones(n)
        for _ in range(max(1, round(n / _WAV_RATE / 1.5))):
            centre, width = rng.uniform(0, n / _WAV_RATE), rng.uniform(0.4, 1.2)
            swells += rng.uniform(1.0, 3.0) * np.exp(-0.5 * ((seconds - centre) / width) ** 2)
        parts = [(_coloured(rng, n, 1.0) * swells, 1.0), (_coloured(rng, n, 0.5) * swells, 0.35)]
    elif kind == "office":  # pink noise, far-off voices and keyboard clicks
        parts = [(_coloured(rng, n, 0.5), 1.0), (_babble(rng, n), 0.45), (_clicks(rng, n), 0.3)]
    else:
        raise ValueError(f"unknown noise kind {kind!r}; known: {', '.join(NOISE_KINDS)}")
    mixed = np.zeros(n)
    for part, weight in parts:
        mixed += _unit(part) * weight
    return _unit(mixed)


def _coloured(rng: np.random.Generator, n: int, slope: float, lowpass_hz: float = 0.0) -> np.ndarray:
    """Noise whose power falls as 1/f**(2*slope): 0.5 pink, 1.0 brown; above `lowpass_hz` it falls faster."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    hz = np.fft.rfftfreq(n, 1 / _WAV_RATE)
    shape = 1 / np.maximum(hz, 20.0) ** slope
    if lowpass_hz:
        shape /= 1 + (hz / lowpass_hz) ** 2
    return np.fft.irfft(spectrum * shape, n)


_BABBLE = ("the meeting moved to three", "did you see the numbers from last week", "coffee is in the kitchen")


def _babble(rng: np.random.Generator, n: int) -> np.ndarray:
    """Three far-off talkers over each other (espeak speech looped from random offsets): murmur, not words."""
    out = np.zeros(n)
    for text, voice in zip(_BABBLE, ("en-gb", "en+f3", "en-us+m3"), strict=True):
        talk = np.concatenate([_samples(speak(text, voice=voice)), np.zeros(_WAV_RATE // 3)])
        looped = np.tile(talk, n // len(talk) + 2)
        offset = int(rng.integers(0, len(talk)))
        out += looped[offset : offset + n]
    return out


def _clicks(rng: np.random.Generator, n: int) -> np.ndarray:
    """Keystrokes: 4 ms decaying bursts, about six a second."""
    out = np.zeros(n)
    click = rng.standard_normal(round(0.004 * _WAV_RATE)) * np.exp(-np.linspace(0, 6, round(0.004 * _WAV_RATE)))
    for at in rng.integers(0, max(1, n - len(click)), size=max(1, round(6 * n / _WAV_RATE))):
        out[at : at + len(click)] += click * rng.uniform(0.3, 1.0)
    return out


def _unit(x: np.ndarray) -> np.ndarray:
    rms = math.sqrt(float(np.mean(x**2)))
    return x / rms if rms else x


def _samples(wav: bytes) -> np.ndarray:
    return np.frombuffer(_pcm_of(wav), dtype="<i2").astype(np.float64)


def _from_samples(x: np.ndarray) -> bytes:
    return _wav(np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes(), _WAV_RATE)
