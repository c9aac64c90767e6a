"""'Did you say X or Y?': a doubtful transcript whose other likely sentences mean something else is asked about
with one button per reading; a pick is handled exactly as typed text. Transcripts are handed to the voice flow
at its seam (a recogniser's alternatives cannot be produced on demand); everything after it is real."""

from __future__ import annotations

import pytest

from bot.runtime import Runtime
from conversation.voice import KEY
from core.settings import Settings
from tests.conversation.conftest import ROOM, Say, SayFactory, button
from tests.conversation.test_voice import heard, press, understood
from tests.eventually import eventually

FIFTEEN = "scale web prod to fifteen"
THIRTY = "scale web prod to thirty"
STATUS = "status of prod"


@pytest.fixture
def bot(settings: Settings, say_factory: SayFactory) -> tuple[Runtime, Say]:
    return say_factory(settings)


def test_a_doubtful_transcript_with_other_meanings_asks_which_and_a_pick_is_handled_as_typed(
    bot: tuple[Runtime, Say],
) -> None:
    rt, _ = bot
    # The same meaning twice, and a yes, are not offered: a question never turns into a confirmation.
    [question] = understood(rt, heard(FIFTEEN, 0.5, THIRTY, f"{FIFTEEN} instances", "yes", STATUS, "help"))
    assert question.text == f"Did you say '{FIFTEEN}', '{THIRTY}' or '{STATUS}'?"
    assert [b.label for b in question.buttons] == [FIFTEEN, THIRTY, STATUS, "Neither"]
    [card] = press(rt, button([question], THIRTY))
    assert card.kind == "confirm" and "web-prod (AWS us-east-1): 12 -> 30 instances" in card.text
    assert [b.label for b in card.buttons] == ["Confirm", "Cancel"]
    assert rt.conversation.services.provider.get("aws:us-east-1:asg/web-prod").count == 12
    [again] = press(rt, button([question], FIFTEEN))
    assert again.text == "That question has expired: say it again."


def test_neither_does_nothing(bot: tuple[Runtime, Say]) -> None:
    rt, _ = bot
    [question] = understood(rt, heard(FIFTEEN, 0.5, THIRTY))
    assert question.text == f"Did you say '{FIFTEEN}' or '{THIRTY}'?"
    [answer] = press(rt, button([question], "Neither"))
    assert answer.text == "OK, nothing done. Say it again, or type it."
    assert rt.conversation.services.confirmations.latest(ROOM) is None


def test_alternatives_that_mean_the_same_keep_the_right_question(bot: tuple[Runtime, Say]) -> None:
    rt, _ = bot
    [question] = understood(rt, heard(FIFTEEN, 0.5, f"{FIFTEEN} instances", "yes"))
    assert question.text == f"I heard: '{FIFTEEN}': right?"
    assert [b.label for b in question.buttons] == ["Yes", "No"]
    [card] = press(rt, button([question], "Yes"))
    assert "12 -> 15 instances" in card.text


def test_a_sure_transcript_is_answered_whatever_its_alternatives(bot: tuple[Runtime, Say]) -> None:
    rt, _ = bot
    [answer] = understood(rt, heard(STATUS, 0.95, "status of dr"))
    said, first, *_ = answer.text.splitlines()
    assert said == f"I heard: '{STATUS}'" and first.startswith("prod: ")


def test_a_best_sentence_that_means_nothing_offers_the_ones_that_do(bot: tuple[Runtime, Say]) -> None:
    rt, _ = bot
    [question] = understood(rt, heard("you if", 0.5, STATUS))
    assert question.text == f"I heard: '{STATUS}': right?"
    [nothing] = understood(rt, heard("you if", 0.5, "if you"))
    assert nothing.text == "I heard: 'you if' - that is not a command I know. Say it again, or type it."


def test_the_question_is_answered_only_by_who_spoke(bot: tuple[Runtime, Say]) -> None:
    rt, _ = bot
    [question] = understood(rt, heard(FIFTEEN, 0.5, THIRTY))
    [other] = press(rt, button([question], THIRTY), user="bob")
    assert other.text == "That question has expired: say it again."
    [card] = press(rt, button([question], THIRTY))
    assert "12 -> 30 instances" in card.text
    pending = rt.conversation.services.confirmations.latest(ROOM)
    assert pending is not None and pending.requester == "alice"


def test_forged_and_stale_buttons_do_nothing(bot: tuple[Runtime, Say]) -> None:
    rt, _ = bot
    [old] = understood(rt, heard(FIFTEEN, 0.5, THIRTY))
    [new] = understood(rt, heard(STATUS, 0.5, "status of dr"))
    question_id = button([new], "Neither").rpartition(":")[2]
    forgeries = (button([old], THIRTY), f"heard:7:{question_id}", f"heard:2:{question_id}", f"heard:yes:{question_id}")
    for forged in (*forgeries, "heard:yes", "heard:abc", "heard:"):
        [refused] = press(rt, forged)
        assert refused.text == "That button is no longer valid." and refused.kind == "refusal"
    assert rt.conversation.services.confirmations.latest(ROOM) is None
    [answer] = press(rt, button([new], "status of dr"))  # the open question is still there
    assert answer.text.startswith("dr: ")


def test_the_single_question_answers_a_plain_yes_button(bot: tuple[Runtime, Say]) -> None:
    rt, _ = bot
    understood(rt, heard(FIFTEEN, 0.5))
    [card] = press(rt, "heard:yes")
    assert "12 -> 15 instances" in card.text


def test_an_unanswered_question_expires(settings: Settings, say_factory: SayFactory) -> None:
    rt, _ = say_factory(settings.model_copy(update={"confirm_ttl_seconds": 5}))
    [question] = understood(rt, heard(FIFTEEN, 0.5, THIRTY))
    redis = rt.conversation.services.connection
    [key] = redis.keys(f"{KEY}*")
    assert 4_000 < redis.pttl(key) <= 5_000  # the question lives as long as a confirmation
    redis.pexpire(key, 1)  # time passes: Redis lets it go, as it would after those 5 s
    eventually(lambda: not redis.exists(key), 2.0, "the question expired")
    [expired] = press(rt, button([question], THIRTY))
    assert expired.text == "That question has expired: say it again."
    assert rt.conversation.services.confirmations.latest(ROOM) is None
