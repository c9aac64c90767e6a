"""Speech recognition with Vosk (Kaldi) and a model from a directory (`OPSBOT_VOSK_MODEL`): grammar mode with
the vocabulary's phrases, dropping (and logging) words the model does not know, and free-form recognition as
the fallback when the grammar finds nothing. Notes are conditioned first (voice.conditioning): a note of noise
gives no words. Alternatives are left empty: Kaldi's n-best over a phrase list mostly repeats the best phrase."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import vosk

from core.errors import VoiceSetupError
from voice.conditioning import condition
from voice.types import Pcm, Transcript, Vocabulary

log = logging.getLogger(__name__)

_CHUNK_BYTES = 8000  # 0.25 s of 16 kHz s16: streamed as a live recogniser would receive it
_UNKNOWN = "[unk]"  # lets the grammar decoder say "none of these" instead of forcing a phrase


class VoskRecognizer:
    """One model per process (load is seconds); one grammar recogniser per vocabulary version. Decoding is
    serialised by a lock: a Kaldi recogniser keeps state between chunks."""

    name = "vosk"

    def __init__(self, model_dir: Path) -> None:
        vosk.SetLogLevel(-2)
        if not (model_dir / "am").is_dir() and not (model_dir / "final.mdl").exists():
            raise VoiceSetupError(f"No Vosk model in {model_dir}: expected a model directory with am/ and graph/.")
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise VoiceSetupError(f"The Vosk model in {model_dir} could not be loaded.") from exc
        self._lock = threading.Lock()
        self._grammars: dict[str, vosk.KaldiRecognizer] = {}

    def grammar_phrases(self, vocabulary: Vocabulary) -> list[str]:
        """The vocabulary's phrases the model can say. Phrases with unknown words are left out, with a log line
        naming the words: Vosk itself would drop them with only a warning."""
        words = {w for p in vocabulary.phrases for w in p.split()}
        missing = sorted(w for w in words if self._model.vosk_model_find_word(w) < 0)
        usable = [p for p in vocabulary.phrases if not set(p.split()) & set(missing)]
        if missing:
            shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
            log.warning("voice: the Vosk model lacks %d grammar words, left out: %s", len(missing), shown)
        return usable

    def recognize(self, pcm: Pcm, vocabulary: Vocabulary) -> Transcript:
        conditioned = condition(pcm.samples)
        if not conditioned.has_speech:  # noise, hum or silence: words made of it would be invented
            return Transcript(text="", confidence=0.0, backend=self.name, constrained=False)
        with self._lock:
            grammar = self._grammar_recognizer(vocabulary)
            if grammar is not None:
                text, confidence = _run(grammar, conditioned.samples)
                if text:
                    return Transcript(text=text, confidence=confidence, backend=self.name, constrained=True)
            text, confidence = _run(self._free_recognizer(), conditioned.samples)
        return Transcript(text=text, confidence=confidence, backend=self.name, constrained=False)

    def _grammar_recognizer(self, vocabulary: Vocabulary) -> vosk.KaldiRecognizer | None:
        if vocabulary.version not in self._grammars:
            phrases = self.grammar_phrases(vocabulary)
            if not phrases:
                log.warning("voice: no grammar phrase fits the Vosk model; free-form recognition only")
                return None
            recognizer = vosk.KaldiRecognizer(self._model, 16_000, json.dumps([*phrases, _UNKNOWN], ensure_ascii=False))
            recognizer.SetWords(True)
            self._grammars[vocabulary.version] = recognizer
        return self._grammars[vocabulary.version]

    def _free_recognizer(self) -> vosk.KaldiRecognizer:
        if "" not in self._grammars:
            recognizer = vosk.KaldiRecognizer(self._model, 16_000)
            recognizer.SetWords(True)
            self._grammars[""] = recognizer
        return self._grammars[""]


def _run(recognizer: vosk.KaldiRecognizer, samples: bytes) -> tuple[str, float]:
    """Streams the audio in chunks; the words of every finished segment, and their mean word confidence."""
    words: list[dict[str, object]] = []
    for start in range(0, len(samples), _CHUNK_BYTES):
        if recognizer.AcceptWaveform(samples[start : start + _CHUNK_BYTES]):
            words.extend(_result_words(recognizer.Result()))
    words.extend(_result_words(recognizer.FinalResult()))  # FinalResult also resets it for the next call
    spoken = [w for w in words if w.get("word") != _UNKNOWN]
    if not spoken:
        return "", 0.0
    text = " ".join(str(w["word"]) for w in spoken).lower()
    confs = [float(str(w.get("conf", 0.0))) for w in spoken]
    return text, round(sum(confs) / len(confs), 3)


def _result_words(result: str) -> list[dict[str, object]]:
    parsed = json.loads(result)
    found = parsed.get("result", []) if isinstance(parsed, dict) else []
    return [w for w in found if isinstance(w, dict)]
