"""Decode latency per format: what a Telegram voice note, a Slack clip or a phone recording costs to turn into
16 kHz PCM before recognition, for a ~2 s command, a 5 s one, a 60 s note, and refusing a 75 s one.
Audio comes from `fakes.audio` (espeak-ng + PyAV): without espeak-ng the runner skips it."""

from __future__ import annotations

import contextlib
import time

from bench.figures import Figure
from core.errors import VoiceInputError
from core.metrics import quantile
from fakes import audio
from voice.decode import decode

ROUNDS = 30
CLIPS = (
    ("2 s", "scale web prod to twenty"),
    ("5 s", "fail over the payments database in eu west one to the disaster recovery region now"),
)


def _p50_ms(data: bytes, rounds: int = ROUNDS) -> float:
    times: list[float] = []
    for _ in range(rounds):
        start = time.perf_counter()
        with contextlib.suppress(VoiceInputError):  # a refusal is timed like a decode
            decode(data)
        times.append((time.perf_counter() - start) * 1000)
    return quantile(times, 0.5)


def run() -> list[Figure]:
    figures: list[Figure] = []
    for label, text in CLIPS:
        wav = audio.speak(text)
        seconds = decode(audio.encode(wav, "wav")).seconds
        for fmt in audio.FORMATS:
            ms = _p50_ms(audio.encode(wav, fmt))
            figures.append(Figure(f"decode {fmt} {label} ({seconds:.1f} s) p50", ms, "ms", "<= 20 ms"))
    for fmt in ("ogg_opus", "m4a_aac"):
        figures.append(
            Figure(f"decode {fmt} 60 s note p50", _p50_ms(audio.encode(audio.long_note(59.5), fmt), 5), "ms")
        )
    figures.append(
        Figure("refuse 75 s ogg_opus (header) p50", _p50_ms(audio.encode(audio.long_note(75), "ogg_opus")), "ms")
    )
    streamed = audio.encode(audio.long_note(75), "webm_opus", streamed=True)
    figures.append(Figure("refuse 75 s webm_opus (no length) p50", _p50_ms(streamed, 5), "ms"))
    return figures


if __name__ == "__main__":
    for figure in run():
        print(figure.line())
