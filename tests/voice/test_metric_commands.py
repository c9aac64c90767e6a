"""Metrics questions and watches by voice: the grammar's sentences for them parse to what they say, and espeak-ng
speech of each - in a Telegram voice note, and with office noise around it - is heard as its typed text."""

from __future__ import annotations

import pytest

from core.models import IntentName
from fakes import audio
from intents.parser import parse
from tests.voice.test_accuracy import heard_as_meant, recognizer, vocabulary
from voice.decode import decode
from voice.grammar import sentence_matcher

# (what is said, the text it stands for); web-prod and db-prod are names of the simulated world.
SPOKEN = (
    ("cpu of web prod over the last six hours", "cpu of web-prod last 6h"),
    ("memory of db prod", "memory of db-prod"),
    ("latency of web prod today", "p99 latency of web-prod today"),
    ("how busy is web prod", "cpu of web-prod"),
    ("top five instances by cpu in production", "top 5 instances by cpu in prod"),
    ("watch cpu of web prod for ten minutes", "watch cpu of web-prod for 10 min"),
)


@pytest.mark.parametrize(("said", "typed"), SPOKEN, ids=[s for s, _ in SPOKEN])
def test_each_spoken_form_is_a_grammar_sentence_with_the_typed_meaning(said: str, typed: str) -> None:
    assert sentence_matcher(vocabulary())(said)
    heard, meant = parse(said), parse(typed)
    assert heard.name in (IntentName.METRIC, IntentName.WATCH)
    assert heard.slots.model_dump(exclude={"target"}) == meant.slots.model_dump(exclude={"target"})
    assert (heard.slots.target or "").replace(" ", "-") == (meant.slots.target or "")


def test_spoken_metrics_questions_in_voice_notes_mean_what_their_text_means() -> None:
    wrong = [said for said, typed in SPOKEN if not heard_as_meant(said, typed)]
    assert len(wrong) <= 1, f"misheard: {wrong}"


def test_a_metrics_question_with_office_noise_around_it_is_heard() -> None:
    said, typed = SPOKEN[0]
    note = audio.with_noise(audio.speak(said), kind="office", snr_db=15.0, lead_seconds=1.0, tail_seconds=1.0, seed=3)
    heard = parse(recognizer().recognize(decode(audio.encode(note, "ogg_opus")), vocabulary()).text)
    meant = parse(typed)
    assert (heard.name, heard.slots.metric, heard.slots.duration_seconds) == (
        meant.name,
        meant.slots.metric,
        meant.slots.duration_seconds,
    )
