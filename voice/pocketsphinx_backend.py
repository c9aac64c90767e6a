"""English speech recognition with PocketSphinx and the model its PyPI package ships: a JSGF grammar of the
command language (near-exact recognition of commands), and the general English language model as a
free-form fallback when the grammar finds nothing, all within the note's time budget (voice.budget).

The decoder takes its grammar result from the Viterbi search itself (`bestpath` off): the lattice that a best-path
search or an n-best list needs took 1-2 s on a 2 s note in office babble (and over 100 s on long speech-like noise),
while the Viterbi result of a grammar search always ends in one of its sentences."""

from __future__ import annotations

import array
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable

import pocketsphinx

from core.errors import VoiceSetupError
from voice.budget import MAX_SPEECH_SECONDS, Budget, Clock, budget_for
from voice.conditioning import Conditioned, condition
from voice.confidence import Evidence, Pass, alternatives, free_form_confidence, grammar_confidence
from voice.grammar import jsgf, sentence_matcher
from voice.rivals import rivals
from voice.types import SAMPLE_RATE, Pcm, Transcript, Vocabulary

log = logging.getLogger(__name__)

_FREE_FORM = "_default"  # the search over the shipped English language model
_DITHER_LSB = 2  # exact digital silence derails the decoder's noise estimate: a little noise fixes it
# Said differently from what the dictionary has: "dr" is "d r" (disaster recovery), not "drive".
_EXTRA_PRONUNCIATIONS: dict[str, tuple[str, ...]] = {
    "dr": ("D IY AA R",),
    "gcp": ("JH IY S IY P IY",),
    "aws": ("EY D AH B AH L Y UW EH S",),
}
# The free-form search costs about this many times the grammar search on the same audio (measured 3-5x).
_FREE_FORM_COST = 5.0
# A transcript from a recognition the budget cut short is at most this sure: always asked about.
_CUT_SHORT_CAP = 0.5
_FLOOR = 50.0  # nats per frame: a score this bad means the audio could not be forced through the words
_VARIANT = re.compile(r"\(\d+\)$")


class PocketSphinxRecognizer:
    """One decoder per process (model load ~0.3 s); decoding is serialised by a lock."""

    name = "pocketsphinx"

    def __init__(self, clock: Clock = time.perf_counter) -> None:
        try:
            self._decoder = pocketsphinx.Decoder(loglevel="FATAL", bestpath=False)
        except (RuntimeError, ValueError, OSError) as exc:
            raise VoiceSetupError(f"PocketSphinx cannot load its English model: {exc}") from exc
        self._clock = clock
        self._lock = threading.Lock()
        self._grammars: dict[str, tuple[str, Callable[[str], bool]]] = {}  # vocabulary version -> search

    def recognize(self, pcm: Pcm, vocabulary: Vocabulary) -> Transcript:
        conditioned = condition(pcm.samples)
        if not conditioned.has_speech:  # noise, hum or silence: words made of it would be invented
            return Transcript(text="", confidence=0.0, backend=self.name, constrained=False)
        samples = dither(conditioned.samples)
        longest = round(MAX_SPEECH_SECONDS * SAMPLE_RATE) * 2
        cut_short = len(samples) > longest  # speech longer than any command: only its start is searched
        samples = samples[:longest]
        with self._lock:
            search, accepts = self._grammar_search(vocabulary)
            budget = budget_for(len(samples) / 2 / SAMPLE_RATE, self._clock)
            heard = self._decode(search, samples, accepts)
            if not heard.text:
                return self._free_form(samples, conditioned, budget, cut_short)
            before = budget.elapsed()
            own = self._aligned(heard.text, samples)
            aligning = budget.elapsed() - before
            scored: list[tuple[str, float]] = []
            for text in rivals(heard.text, vocabulary.resource_names, accepts):
                if not budget.allows(aligning):  # each alignment costs about what the first one did
                    cut_short = True
                    break
                scored.append((text, self._aligned(text, samples)))
            evidence = Evidence(own=own, rivals=tuple(scored))
        confidence = grammar_confidence(heard, evidence, conditioned)
        return Transcript(
            text=heard.text,
            confidence=min(confidence, _CUT_SHORT_CAP) if cut_short else confidence,
            backend=self.name,
            constrained=True,
            alternatives=alternatives(heard, evidence),
            cut_short=cut_short,
        )

    def _free_form(self, samples: bytes, conditioned: Conditioned, budget: Budget, cut_short: bool) -> Transcript:
        """The free-form model's best, when the grammar found no sentence and the budget leaves it time; its
        confidence is capped below asking anyway. Nothing (cut short) when it would not end in time."""
        if not budget.allows(budget.elapsed() * _FREE_FORM_COST):
            return Transcript(text="", confidence=0.0, backend=self.name, constrained=False, cut_short=True)
        free = self._decode(_FREE_FORM, samples, None)
        confidence = free_form_confidence(free, conditioned) if free.text else 0.0
        if cut_short:
            confidence = min(confidence, _CUT_SHORT_CAP)
        return Transcript(
            text=free.text, confidence=confidence, backend=self.name, constrained=False, cut_short=cut_short
        )

    def _aligned(self, text: str, samples: bytes) -> float:
        """The acoustic score (nats per frame) of the audio forced through exactly `text`. An alignment search
        made with `bestpath` off gives its segments no acoustic scores: it is made with it on (cheap here, the
        alignment has one path), and the setting is put back for the searches made later."""
        self._decoder.config["bestpath"] = True
        try:
            self._decoder.set_align_text(text)
        finally:
            self._decoder.config["bestpath"] = False
        self._decoder.start_utt()
        self._decoder.process_raw(samples, full_utt=True)
        self._decoder.end_utt()
        return _acoustic(list(self._decoder.seg()), self._decoder.n_frames()) if self._decoder.hyp() else -_FLOOR

    def _grammar_search(self, vocabulary: Vocabulary) -> tuple[str, Callable[[str], bool]]:
        found = self._grammars.get(vocabulary.version)
        if found is None:
            grammar = jsgf(vocabulary)
            self._add_words(_grammar_words(grammar))
            search = f"cmd_{len(self._grammars)}"
            try:
                self._decoder.add_jsgf_string(search, grammar)
            except ValueError as exc:
                raise VoiceSetupError("the voice command grammar could not be compiled") from exc
            found = self._grammars[vocabulary.version] = (search, sentence_matcher(vocabulary))
        return found

    def _add_words(self, words: Iterable[str]) -> None:
        """Pronunciations for words the dictionary lacks ("failover", "guestlist", "etl"), and our extras."""
        entries: list[tuple[str, str]] = []
        for word in sorted(set(words)):
            if word in _EXTRA_PRONUNCIATIONS:
                taken = {key for key, _ in entries}
                for phones in _EXTRA_PRONUNCIATIONS[word]:
                    entries.append((self._free_variant(word, taken), phones))
                    taken.add(entries[-1][0])
            elif self._decoder.lookup_word(word) is None:
                entries.append((word, self._compose(word)))
                log.info("voice: adding %r to the PocketSphinx dictionary as %r", word, entries[-1][1])
        for n, (key, phones) in enumerate(entries):
            self._decoder.add_word(key, phones, n == len(entries) - 1)  # the last one rebuilds the search once

    def _free_variant(self, word: str, taken: set[str]) -> str:
        """The next unused dictionary key for another pronunciation of `word`: "dr(3)" when "dr(2)" exists."""
        if self._decoder.lookup_word(word) is None and word not in taken:
            return word
        n = 2
        while self._decoder.lookup_word(f"{word}({n})") is not None or f"{word}({n})" in taken:
            n += 1
        return f"{word}({n})"

    def _compose(self, word: str) -> str:
        """The word as dictionary words ("failover" = "fail" + "over"), else spelled letter by letter ("etl")."""
        best: list[list[str] | None] = [[]] + [None] * len(word)
        for end in range(1, len(word) + 1):
            for start in range(end):
                head = best[start]
                piece = word[start:end]
                if head is None or (len(piece) == 1 and end - start < len(word) and piece not in "ai"):
                    continue
                phones = self._decoder.lookup_word(piece)
                if phones and (best[end] is None or len(head) + 1 < len(best[end] or [])):
                    best[end] = [*head, phones]
        found = best[len(word)]
        if found and len(found) <= max(2, len(word) // 3):
            return " ".join(found)
        return " ".join(self._decoder.lookup_word(letter) or "" for letter in word if letter.isalpha()).strip()

    def _decode(self, search: str, samples: bytes, accepts: Callable[[str], bool] | None) -> Pass:
        """What one search heard. For a grammar the text is a whole sentence of it or nothing: a grammar search
        that reaches no final state returns its best partial path, which is not a command."""
        self._decoder.activate_search(search)
        self._decoder.start_utt()
        self._decoder.process_raw(samples, full_utt=True)
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        frames = self._decoder.n_frames()
        best = _words(hyp.hypstr) if hyp is not None else ""
        if not best or (accepts is not None and not accepts(best)):
            return Pass(text="", frames=frames)
        words = [seg for seg in self._decoder.seg() if not seg.word.startswith(("<", "[", "++", "("))]
        spoken = sum(w.end_frame - w.start_frame + 1 for w in words)
        return Pass(text=best, frames=frames, posteriors=tuple(w.prob for w in words), spoken=spoken)


def _acoustic(segments: list[pocketsphinx.Segment], frames: int) -> float:
    """A path's acoustic log-likelihood per frame (nats), from its segments' scores."""
    total = 0.0
    for seg in segments:
        total += math.log(seg.ascore) if seg.ascore > 0 else -_FLOOR * (seg.end_frame - seg.start_frame + 1)
    return max(-_FLOOR, total / max(1, frames))


def _words(hypstr: str) -> str:
    """ "fail over web prod to dr(3)" -> "fail over web prod to dr": alternative pronunciations are one word."""
    return " ".join(_VARIANT.sub("", word) for word in hypstr.lower().split())


def _grammar_words(grammar: str) -> set[str]:
    words: set[str] = set()
    for line in grammar.splitlines():
        if "=" not in line:
            continue
        body = line.split("=", 1)[1]
        for token in body.replace("(", " ").replace(")", " ").replace("[", " ").replace("]", " ").split():
            if token.isalpha() and token.islower():
                words.add(token)
    return words


def dither(samples: bytes, seed: int = 7) -> bytes:
    """Adds +-2 LSB of noise (deterministic) so no stretch of audio is exact digital silence."""
    pcm = array.array("h")
    pcm.frombytes(samples[: len(samples) // 2 * 2])
    rng = random.Random(seed)
    noise = [rng.randint(-_DITHER_LSB, _DITHER_LSB) for _ in range(4093)]  # prime length: no audible period
    for i, value in enumerate(pcm):
        pcm[i] = max(-32768, min(32767, value + noise[i % 4093]))
    return pcm.tobytes()
