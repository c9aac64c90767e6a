"""How sure the recogniser is, as a probability that the transcript means what was said, and the other
sentences worth offering in "Did you say X or Y?".

PocketSphinx's word posteriors alone are high even for garbage: a grammar decoder always lands on *some*
sentence. Evidence that does tell right from wrong: how far the best sentence is ahead of the next one that
means something else (the margin over rivals), how well the audio fits the words when forced through them,
how clearly the note's speech stands above its noise, and whether the words cover the speech that was there. A logistic
model over these, fitted on espeak-ng notes with noise around them (flite and festival voices held out), turns
them into one number; the settings' `voice_confirm_below` (0.8) is the line under which the user is asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from intents.parser import parse
from voice.conditioning import Conditioned

_MAX_MARGIN = 0.5  # nats per frame: a lead this large over any other meaning is as good as any larger one
# The audio forced through the transcript scores about -1.5 nats per frame when the words are right and
# -2.5 to -3.5 when they are not: the feature runs from _WORST_FIT (0) to _BEST_FIT (1).
_WORST_FIT, _BEST_FIT = -4.0, -1.0
_ALTERNATIVES = 3
# Fitted by logistic regression (L2 0.001) on 695 grammar transcripts of espeak notes (4 voices, 30 commands, OGG/Opus
# and 8 kHz mu-law, room/street/office noise at 20, 10 and 5 dB) from the Viterbi search (no lattice: see
# pocketsphinx_backend); the order is that of `features`. Cross-validated, 0.8 sent 178 of 202 wrong transcripts to a
# question, and 182 of 493 right ones.
_WEIGHTS = (-0.21, 0.75, 0.13, 5.12, 1.57, 0.76, -0.07, 2.36)
_BIAS = -5.25
# The free-form model's own best is right only when the grammar found nothing and the text parses anyway,
# which on the tuning notes was rare: its confidence is capped below any sensible asking threshold.
_FREE_FORM_CAP = 0.5


@dataclass(frozen=True)
class Pass:
    """What one decoding pass heard."""

    text: str  # "" when the search found nothing usable
    frames: int  # 10 ms frames decoded
    posteriors: tuple[float, ...] = ()  # per word of `text`, from the lattice
    spoken: int = 0  # frames covered by the words of `text`
    first_choice: bool = True  # `text` was the decoder's own best path, not found lower in the n-best list


@dataclass(frozen=True)
class Evidence:
    """Acoustic scores (nats per frame) that put the transcript in context."""

    own: float  # the audio forced through the transcript
    rivals: tuple[tuple[str, float], ...]  # sentences one confusion away, each forced through the audio


def features(heard: Pass, evidence: Evidence, conditioned: Conditioned) -> tuple[float, ...]:
    """The evidence, each roughly in 0..1: mean and least word posterior, margin over the best rival that
    means something else, how well the audio fits the transcript's words, speech-to-noise contrast, coverage
    of the speech by words, whether the decoder chose the sentence itself, and how short the sentence is."""
    posteriors = heard.posteriors or (0.0,)
    speech_frames = max(1.0, conditioned.speech_seconds * 100)
    return (
        sum(posteriors) / len(posteriors),
        min(posteriors),
        _margin(heard, evidence) / _MAX_MARGIN,
        min(max((evidence.own - _WORST_FIT) / (_BEST_FIT - _WORST_FIT), 0.0), 1.0),
        min(conditioned.snr_db, 40.0) / 40,
        min(heard.spoken / speech_frames, 1.5) if heard.first_choice else 0.0,
        1.0 if heard.first_choice else 0.0,
        1 / len(heard.text.split()),
    )


def grammar_confidence(heard: Pass, evidence: Evidence, conditioned: Conditioned) -> float:
    """The probability that the grammar's sentence is what was said, 0..1."""
    score = _BIAS + sum(w * x for w, x in zip(_WEIGHTS, features(heard, evidence, conditioned), strict=True))
    return round(1 / (1 + math.exp(-score)), 3)


def free_form_confidence(free: Pass, conditioned: Conditioned) -> float:
    """Free-form English when the grammar found no sentence: never trusted enough to act on unasked."""
    posteriors = free.posteriors or (0.0,)
    contrast = min(conditioned.snr_db, 40.0) / 40
    return round(_FREE_FORM_CAP * min(posteriors) * contrast, 3)


def alternatives(heard: Pass, evidence: Evidence) -> tuple[str, ...]:
    """The rivals, best scoring first, those that mean something other than the transcript before those that
    only say it differently; never the transcript itself."""
    meaning = _meaning(heard.text)
    ranked = [text for text, _ in sorted(evidence.rivals, key=lambda rival: -rival[1]) if text != heard.text]
    differ = [text for text in ranked if _meaning(text) != meaning]
    same = [text for text in ranked if text not in differ]
    return tuple((differ + same)[:_ALTERNATIVES])


def _margin(heard: Pass, evidence: Evidence) -> float:
    """How far (nats per frame) the transcript is ahead of the best rival that means something else;
    `_MAX_MARGIN` when there is none."""
    meaning = _meaning(heard.text)
    scores = [score for text, score in evidence.rivals if _meaning(text) != meaning]
    if not scores:
        return _MAX_MARGIN
    return max(0.0, min(evidence.own - max(scores), _MAX_MARGIN))


def _meaning(text: str) -> tuple[str, str]:
    intent = parse(text)
    return intent.name, intent.slots.model_dump_json()
