"""Audio bytes -> what was heard: decode (PyAV, in memory), then recognise with the command language and the
live resource names as the recogniser's vocabulary. Deciding what the words mean is not done here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from actions.provider import Resource
from core.models import Frozen
from core.settings import Settings
from voice.types import Recognizer, Vocabulary


def spoken_names(resources: Iterable[Resource]) -> list[str]:
    """The names the recogniser listens for: groups and resources with a role (db-prod), the things people
    manage by voice. Thousands of instance and disk names would make the grammar too large to decode fast;
    those are typed, or reached through their group."""
    return sorted(r.name for r in resources if r.kind == "group" or "role" in r.tags)


class Heard(Frozen):
    text: str  # lowercase words; "" when nothing was recognised
    confidence: float
    backend: str
    constrained: bool  # the grammar produced it (else the free-form fallback did)
    alternatives: tuple[str, ...] = ()  # other likely sentences, best first (see voice.types.Transcript)
    cut_short: bool = False  # recognition stopped at its time budget: the text is a guess (or nothing)
    audio_seconds: float
    decode_ms: float
    recognize_ms: float


class VoicePipeline:
    """One per process: the recogniser (its model takes seconds to load) is loaded on first use and shared."""

    def __init__(self, settings: Settings, resource_names: Callable[[], Iterable[str]]) -> None:
        self._settings = settings
        self._resource_names = resource_names
        self._lock = threading.Lock()
        self._recognizer: Recognizer | None = None
        self._vocabulary: tuple[frozenset[str], Vocabulary] | None = None

    def recognizer(self) -> Recognizer:
        """Raises VoiceSetupError when the configured backend or model cannot load."""
        with self._lock:
            if self._recognizer is None:
                from voice.backends import load_recognizer

                self._recognizer = load_recognizer(self._settings)
            return self._recognizer

    def vocabulary(self) -> Vocabulary:
        """Rebuilt only when the set of resource names changes."""
        names = frozenset(self._resource_names())
        known = self._vocabulary
        if known is not None and known[0] == names:
            return known[1]
        from voice.grammar import build_vocabulary

        vocabulary = build_vocabulary(sorted(names))
        self._vocabulary = (names, vocabulary)
        return vocabulary

    def transcribe(self, audio: bytes) -> Heard:
        """Raises VoiceInputError (bad audio: one line for the user) or VoiceSetupError."""
        from voice.decode import decode  # imported here: PyAV loads ffmpeg's libraries (~18 MB)

        start = time.perf_counter()
        pcm = decode(audio, max_seconds=self._settings.voice_max_seconds, max_bytes=self._settings.voice_max_bytes)
        decoded = time.perf_counter()
        transcript = self.recognizer().recognize(pcm, self.vocabulary())
        done = time.perf_counter()
        return Heard(
            text=transcript.text,
            confidence=transcript.confidence,
            backend=transcript.backend,
            constrained=transcript.constrained,
            alternatives=transcript.alternatives,
            cut_short=transcript.cut_short,
            audio_seconds=round(pcm.seconds, 3),
            decode_ms=round((decoded - start) * 1000, 2),
            recognize_ms=round((done - decoded) * 1000, 2),
        )
