"""Any voice note or audio clip -> 16 kHz mono s16 PCM, in memory with PyAV (ffmpeg's libraries).

Handles what chat platforms carry: Telegram OGG/Opus voice notes, Slack M4A/AAC and WebM/Opus clips, MP3,
WAV (PCM or 8 kHz mu-law). Anything unusable becomes a VoiceInputError whose message is the one line the
user sees; nothing else escapes for bad input. PyAV rather than an ffmpeg subprocess: ~10x faster per clip,
and ffmpeg reading M4A from a pipe can silently produce nothing.
"""

from __future__ import annotations

import array
import io
import logging
import math
import struct
import sys
from collections.abc import Iterator

import av
import av.container

from core.durations import measured
from core.errors import VoiceInputError
from core.sizes import size as size_text
from voice.types import SAMPLE_RATE, Pcm

log = logging.getLogger(__name__)

NOT_AUDIO = "That file is not audio."
EMPTY = "That voice note is empty."
SILENT = "I couldn't hear anything in that voice note."
DAMAGED = "That audio file is damaged or cut short."

# Codecs pad and delay a little (Opus pre-skip, AAC priming): allow this much over the limit before refusing.
_LENGTH_SLACK_SECONDS = 0.5
# A decode this much shorter than the container's declared length means the file was cut short.
_TRUNCATION_SECONDS = 0.1
_TRUNCATION_FRACTION = 0.03
# Below any speech codec's bit rate (Opus' floor is 6 kbit/s): a header claiming more seconds than this allows
# is corrupt, and saying "that note is 3 days long" would be wrong.
_MIN_BYTES_PER_SECOND = 250
# Speech detection on 20 ms frames: the loud frames must clear an absolute floor (about -55 dBFS), and be
# clearly louder than the quiet ones - steady hiss, hum or a tone has no such contrast, speech always does.
_FRAME_SAMPLES = SAMPLE_RATE // 50
_SPEECH_FLOOR_RMS = 60.0
_MIN_CONTRAST = 2.0  # 6 dB between the 95th and 10th percentile frame
_CONTAINER_NAMES = {"mov,mp4,m4a,3gp,3g2,mj2": "mp4", "matroska,webm": "webm"}
# Leading bytes of audio containers: a file that starts like one but will not open is damaged, not "not audio".
_AUDIO_MAGIC = (b"OggS", b"RIFF", b"ID3", b"\x1a\x45\xdf\xa3", b"fLaC", b"#!AMR", b"caff", b"FORM")


def decode(data: bytes, *, max_seconds: float = 60.0, max_bytes: int = 10_000_000) -> Pcm:
    """`data` (a whole audio file) as 16 kHz mono s16le PCM. Raises VoiceInputError for non-audio, empty,
    silent, damaged or truncated, over-long (`max_seconds`) or oversized (`max_bytes`) input."""
    if not data:
        raise VoiceInputError(EMPTY)
    if len(data) > max_bytes:
        raise VoiceInputError(f"That file is {size_text(len(data))}; the limit is {size_text(max_bytes)}.")
    if _cut_short(data):
        raise VoiceInputError(DAMAGED)
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            pcm = _decode_container(container, max_seconds, len(data))
    except VoiceInputError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:  # ValueError: PyAV on layouts/formats it rejects
        log.info("undecodable audio (%d bytes): %r", len(data), exc)
        raise VoiceInputError(DAMAGED if _looks_like_audio(data) else NOT_AUDIO) from exc
    _require_speech(pcm.samples)
    return pcm


def _decode_container(container: av.container.InputContainer, max_seconds: float, size_bytes: int) -> Pcm:
    if not container.streams.audio:
        raise VoiceInputError(NOT_AUDIO)
    stream = container.streams.audio[0]
    declared = container.duration / av.time_base if container.duration else None
    # Refuse from the header when it knows the length, so a long file costs nothing to refuse.
    if declared is not None and declared > max_seconds + _LENGTH_SLACK_SECONDS:
        if size_bytes / declared < _MIN_BYTES_PER_SECOND:  # "3 days long" in 20 kB: the header is garbage
            raise VoiceInputError(DAMAGED)
        raise VoiceInputError(f"That voice note is {measured(declared)} long; the limit is {measured(max_seconds)}.")
    limit_bytes = 2 * math.ceil((max_seconds + _LENGTH_SLACK_SECONDS) * SAMPLE_RATE)
    chunks: list[bytes] = []
    size = 0
    for chunk in _resampled(container, stream):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit_bytes:  # the header did not say (or lied): stop decoding at the limit
            raise VoiceInputError(
                f"That voice note is longer than {measured(max_seconds)}; the limit is {measured(max_seconds)}."
            )
    if size == 0:
        raise VoiceInputError(EMPTY)
    seconds = size / 2 / SAMPLE_RATE
    if declared is not None and seconds < declared - max(_TRUNCATION_SECONDS, declared * _TRUNCATION_FRACTION):
        log.info("decoded %.2f s of a declared %.2f s", seconds, declared)
        raise VoiceInputError(DAMAGED)
    return Pcm(samples=b"".join(chunks), seconds=seconds, source_format=_source_format(container, stream))


def _resampled(container: av.container.InputContainer, stream: av.AudioStream) -> Iterator[bytes]:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    for frame in container.decode(stream):
        for out in resampler.resample(frame):
            yield bytes(out.planes[0])[: 2 * out.samples]  # planes may carry alignment padding
    for out in resampler.resample(None):
        yield bytes(out.planes[0])[: 2 * out.samples]


def _require_speech(samples: bytes) -> None:
    pcm = array.array("h")
    pcm.frombytes(samples)
    if sys.byteorder == "big":  # pragma: no cover - s16le on a big-endian host
        pcm.byteswap()
    levels = sorted(_frame_rms(pcm))
    if not levels:
        raise VoiceInputError(SILENT)
    loud = levels[min(len(levels) - 1, len(levels) * 95 // 100)]
    quiet = levels[len(levels) // 10]
    if loud < _SPEECH_FLOOR_RMS or loud < _MIN_CONTRAST * max(quiet, 1.0):
        log.info("no speech energy: loud frames %.1f RMS, quiet frames %.1f RMS", loud, quiet)
        raise VoiceInputError(SILENT)


def _frame_rms(pcm: array.array[int]) -> Iterator[float]:
    # Every other sample is plenty for a level estimate and halves the cost of a 60 s note in pure Python.
    for start in range(0, len(pcm) - _FRAME_SAMPLES // 2, _FRAME_SAMPLES):
        frame = pcm[start : start + _FRAME_SAMPLES : 2]
        yield math.sqrt(sum(x * x for x in frame) / len(frame))


def _cut_short(data: bytes) -> bool:
    """Truncation the demuxers let through: an Ogg file whose last page is incomplete (ffmpeg quietly stops
    at the last whole page) or a WAV whose data chunk is shorter than its header says."""
    if data.startswith(b"OggS"):
        last = data.rfind(b"OggS")
        header = data[last : last + 27]
        if len(header) < 27:
            return True
        segments = data[last + 27 : last + 27 + header[26]]
        return len(segments) < header[26] or last + 27 + len(segments) + sum(segments) > len(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return _wav_data_missing(data)
    return False


def _wav_data_missing(data: bytes) -> bool:
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset : offset + 4]
        size: int = struct.unpack_from("<I", data, offset + 4)[0]
        if chunk_id == b"data":
            # Streaming writers (espeak, ffmpeg to a pipe) put a placeholder size: only a real size can be short.
            return size < 0x7FFF0000 and offset + 8 + size > len(data)
        offset += 8 + size + (size & 1)
    return True  # no data chunk at all


def _looks_like_audio(data: bytes) -> bool:
    if data.startswith(_AUDIO_MAGIC) or data[4:8] == b"ftyp":
        return True
    return len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0  # MPEG audio frame sync


def _source_format(container: av.container.InputContainer, stream: av.AudioStream) -> str:
    name = container.format.name
    codec = stream.codec_context.name
    return f"{_CONTAINER_NAMES.get(name, name.split(',')[0])}/{codec.removesuffix('float')}"
