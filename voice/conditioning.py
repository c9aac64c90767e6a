"""Front-end conditioning of a voice note before recognition: find the speech, trim the noise around it, and
bring its level to where the recogniser works best.

Real notes carry 0.3-1.5 s of room, street or office noise before and after the words, arrive quiet (a phone
held away) or clipped (shouted into it), and sometimes hold no speech at all. A recogniser given the noise
strings words out of it ("yes i v f a v a"), so a note whose loudest stretch is not clearly above its own
noise floor has no speech, and everything else is cut to the speech with a little margin.

Pure numpy on 16 kHz mono s16 PCM. Speech is found on 25 ms frames (10 ms hop) by the energy in the speech
band (250-4000 Hz, so rumble and hum do not count) against a noise floor taken from the quietest frames.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voice.types import SAMPLE_RATE

_FRAME = 400  # 25 ms
_HOP = 160  # 10 ms
_FFT = 512
_BAND_HZ = (250.0, 4000.0)
_FLOOR_PERCENTILE = 10  # the quietest tenth of a note is its noise (every note has pauses or lead-in)
_PEAK_PERCENTILE = 98
_MIN_CONTRAST_DB = 11.0  # the loudest speech frames clear the noise floor by this much, or there is no speech
_SWING_FRAMES = 5  # 50 ms
_MIN_SWING_DB = 4.5  # speech measured 5.3-15 dB even at 5 dB SNR in street noise; traffic swells 2-4 dB
_MIN_SPEECH_FRAMES = 15  # 150 ms of speech-like frames at least (a short "yes" has ~300 ms)
_MIN_LEVEL_DBFS = -62.0  # below this the loudest frames are silence whatever the contrast
_MERGE_GAP_FRAMES = 40  # pauses shorter than 400 ms are inside the speech
_MARGIN_BEFORE = 0.25  # seconds of context kept before the first and after the last speech frame
_MARGIN_AFTER = 0.3
_TARGET_PEAK = 0.5 * 32768  # the speech's loud samples are brought to about -6 dBFS
_MAX_GAIN = 60.0  # +36 dB at most: a whisper is raised, digital silence is not turned into roaring hiss
_CLIPPED = 0.97 * 32768  # samples at the rails: the note is clipped, never raise it further


@dataclass(frozen=True)
class Conditioned:
    """What the recogniser is given, and what the conditioning learned about the note."""

    samples: bytes  # 16 kHz mono s16le: the speech with its margins, level-normalised; b"" without speech
    has_speech: bool
    speech_seconds: float  # how much of the note the speech frames cover
    snr_db: float  # the loud speech frames over the noise floor, in the speech band
    gain: float  # the factor the samples were multiplied by


def condition(samples: bytes) -> Conditioned:
    """The speech in `samples` (16 kHz mono s16le), trimmed and normalised; `has_speech` is False (and
    `samples` empty) for a note of noise, hiss, hum or silence."""
    pcm = np.frombuffer(samples[: len(samples) // 2 * 2], dtype="<i2").astype(np.float64)
    if len(pcm) < _FRAME * 4:
        return Conditioned(samples=b"", has_speech=False, speech_seconds=0.0, snr_db=0.0, gain=1.0)
    levels = band_levels(pcm)
    floor = float(np.percentile(levels, _FLOOR_PERCENTILE))
    peak = float(np.percentile(levels, _PEAK_PERCENTILE))
    contrast = peak - floor
    threshold = floor + float(np.clip(contrast / 3, 6.0, 12.0))
    speech = _smoothed(levels > threshold)
    frames = int(speech.sum())
    swing = syllabic_swing(levels, threshold)
    if contrast < _MIN_CONTRAST_DB or frames < _MIN_SPEECH_FRAMES or peak < _MIN_LEVEL_DBFS or swing < _MIN_SWING_DB:
        return Conditioned(samples=b"", has_speech=False, speech_seconds=0.0, snr_db=round(contrast, 1), gain=1.0)
    first, last = _span(speech)
    start = max(0, first * _HOP - round(_MARGIN_BEFORE * SAMPLE_RATE))
    end = min(len(pcm), last * _HOP + _FRAME + round(_MARGIN_AFTER * SAMPLE_RATE))
    kept = pcm[start:end]
    gain = _gain(kept)
    out = np.clip(np.round(kept * gain), -32768, 32767).astype("<i2")
    return Conditioned(
        samples=out.tobytes(),
        has_speech=True,
        speech_seconds=round(frames * _HOP / SAMPLE_RATE, 3),
        snr_db=round(contrast, 1),
        gain=round(gain, 3),
    )


def band_levels(pcm: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The level of each 25 ms frame (10 ms hop) in the speech band, in dB relative to full scale."""
    count = 1 + (len(pcm) - _FRAME) // _HOP
    index = np.arange(_FRAME)[None, :] + _HOP * np.arange(count)[:, None]
    frames = pcm[index] * np.hanning(_FRAME)[None, :]
    power = np.abs(np.fft.rfft(frames, _FFT, axis=1)) ** 2
    hz = np.fft.rfftfreq(_FFT, 1 / SAMPLE_RATE)
    band = (hz >= _BAND_HZ[0]) & (hz <= _BAND_HZ[1])
    full_scale = (32768.0 * np.hanning(_FRAME).sum()) ** 2  # a full-scale sine's peak bin
    result: npt.NDArray[np.float64] = 10 * np.log10(power[:, band].sum(axis=1) / full_scale + 1e-12)
    return result


def syllabic_swing(levels: npt.NDArray[np.float64], threshold: float) -> float:
    """How fast the level moves where it is loud: the 90th percentile of its change over 50 ms, wherever either
    end is above `threshold`. Syllables make speech rise and fall by 10 dB or more several times a second;
    traffic swells, fans and hiss change slowly or not at all."""
    if len(levels) <= _SWING_FRAMES:
        return 0.0
    before, after = levels[:-_SWING_FRAMES], levels[_SWING_FRAMES:]
    loud = np.maximum(before, after) > threshold
    if not loud.any():
        return 0.0
    return float(np.percentile(np.abs(after - before)[loud], 90))


def _smoothed(loud: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """Frames of speech: a loud frame needs two loud neighbours in five (a click is not speech), and pauses
    shorter than `_MERGE_GAP_FRAMES` between speech are speech."""
    counts = np.convolve(loud.astype(np.int64), np.ones(5, dtype=np.int64), mode="same")
    speech = loud & (counts >= 3)
    where = np.flatnonzero(speech)
    for a, b in itertools.pairwise(where):
        if 1 < b - a <= _MERGE_GAP_FRAMES:
            speech[a:b] = True
    return speech


def _span(speech: npt.NDArray[np.bool_]) -> tuple[int, int]:
    where = np.flatnonzero(speech)
    return int(where[0]), int(where[-1])


def _gain(kept: npt.NDArray[np.float64]) -> float:
    """Raise quiet speech to the target level; never raise a note whose peaks already sit at the rails."""
    magnitude = np.abs(kept)
    if float(magnitude.max(initial=0.0)) >= _CLIPPED:
        return 1.0
    loud = float(np.percentile(magnitude, 99.9))
    if loud <= 0:
        return 1.0
    return float(np.clip(_TARGET_PEAK / loud, 0.5, _MAX_GAIN))
