"""What crosses the voice package's seams: decoded audio, a transcript, and the recogniser interface."""

from __future__ import annotations

from typing import Protocol

from core.models import Frozen

SAMPLE_RATE = 16_000  # every recogniser here takes 16 kHz mono signed 16-bit little-endian PCM


class Pcm(Frozen):
    samples: bytes  # 16 kHz mono s16le
    seconds: float
    source_format: str = ""  # what the container/codec was ("ogg/opus", "mp4/aac", "wav/pcm_mulaw", ...)


class Vocabulary(Frozen):
    """What may be said: the command language's words and phrases, and the live resource names as
    spoken ("web prod" for web-prod). Rebuilt when the inventory's names change (`version`)."""

    phrases: tuple[str, ...]  # example command phrases / grammar seeds, lowercase words
    words: tuple[str, ...]  # every word that may occur
    resource_names: tuple[str, ...]  # spoken forms of resource names
    version: str  # changes whenever the content changes


class Transcript(Frozen):
    text: str  # lowercase words, "" when nothing was recognised
    confidence: float  # 0..1
    backend: str  # "vosk", "pocketsphinx"
    constrained: bool  # True when the grammar produced it, False for the free-form fallback
    # Other whole sentences the recogniser found nearly as likely, best first, none equal to `text`: what the
    # user is offered in "Did you say X or Y?" when the confidence is low.
    alternatives: tuple[str, ...] = ()
    # Recognition stopped at its time budget (voice.budget): the text, if any, is a guess, asked about.
    cut_short: bool = False


class Recognizer(Protocol):
    """One speech recogniser. Loaded once per process (model load is seconds); `recognize` is thread-safe
    or serialises itself."""

    name: str

    def recognize(self, pcm: Pcm, vocabulary: Vocabulary) -> Transcript: ...
