"""A spoken yes is not a tap: a voice note confirms a pending change only when the whole note is a clear yes
that the command grammar is sure of, and never a critical action. Real recogniser, real Redis."""

from __future__ import annotations

import pytest

from audit.log import AuditEvent
from bot.runtime import Runtime
from conversation.confirmations import Pending
from core.models import ActionRequest, Reply
from core.settings import Settings
from fakes.audio import noise_around, noise_only, real_note
from tests.conversation.conftest import Say, SayFactory, button, outbox_after
from tests.conversation.test_voice import heard, understood, voice_note

REFUSED = "a spoken yes doesn't confirm this: tap Confirm or type yes."


@pytest.fixture
def bot(settings: Settings, say_factory: SayFactory) -> tuple[Runtime, Say]:
    return say_factory(settings)


def _ask_scale(bot: tuple[Runtime, Say]) -> Pending:
    """alice asks, by typing, to scale web-staging from 3 to 5 (a change: confirmed by alice herself)."""
    rt, say = bot
    [card] = say("scale web-staging to 5")
    assert card.kind == "confirm" and "3 -> 5 instances" in card.text
    pending = rt.conversation.services.confirmations.get(button([card], "Confirm").partition(":")[2])
    assert pending is not None
    return pending


def _resource_id(pending: Pending) -> str:
    assert isinstance(pending.request, ActionRequest)
    return pending.request.resource_id


def _still_open(rt: Runtime, pending: Pending) -> None:
    now = rt.conversation.services.confirmations.get(pending.code)
    assert now is not None and now.status == "open"
    assert rt.conversation.services.provider.get(_resource_id(pending)).count == 3


def _one_line(replies: list[Reply]) -> str:
    [answer] = replies
    assert len(answer.text.splitlines()) == 1 and not answer.buttons
    return answer.text


@pytest.mark.parametrize("seed", [0, 1])
def test_a_note_of_noise_only_confirms_nothing(bot: tuple[Runtime, Say], seed: int) -> None:
    rt, _ = bot
    pending = _ask_scale(bot)
    _one_line(voice_note(rt, noise_only(3.0, "office", seed=seed)))
    _still_open(rt, pending)


@pytest.mark.parametrize("kind", ["room", "street", "office"])
def test_noise_around_a_short_note_confirms_nothing(bot: tuple[Runtime, Say], kind: str) -> None:
    rt, _ = bot
    pending = _ask_scale(bot)
    for words in ("help", "alerts"):
        voice_note(rt, noise_around(words, kind=kind, snr_db=10.0))
    _still_open(rt, pending)


@pytest.mark.parametrize("misheard", ["yes i v f a v a", "yes o v g two two u", "yes yes", "yep do it"])
def test_a_yes_heard_in_noise_with_letters_after_it_confirms_nothing(bot: tuple[Runtime, Say], misheard: str) -> None:
    # What noise around a short note was heard as (issue 18), as sure as the recogniser was of it.
    rt, _ = bot
    pending = _ask_scale(bot)
    assert _one_line(understood(rt, heard(misheard, 0.97))).startswith(f"I heard: '{misheard}' - ")
    _still_open(rt, pending)


def test_a_spoken_yes_not_taken_is_in_the_audit(bot: tuple[Runtime, Say]) -> None:
    rt, _ = bot
    pending = _ask_scale(bot)
    understood(rt, heard("yes", 0.5))
    [refused] = [r for r in rt.conversation.services.audit.records() if r.event is AuditEvent.REFUSED]
    assert (refused.actor, refused.params["code"], refused.params["heard"]) == ("alice", pending.code, "yes")
    assert refused.outcome == "spoken yes not taken as a confirmation"


def test_a_yes_with_more_words_after_it_does_not_confirm(bot: tuple[Runtime, Say]) -> None:
    rt, say = bot
    pending = _ask_scale(bot)
    assert _one_line(voice_note(rt, real_note("yes restart web prod", snr_db=None))).endswith(REFUSED)
    _still_open(rt, pending)
    # Whatever the recogniser made of it, a yes with anything before or after it is not a yes, however sure.
    for words in ("yes restart web prod", "yep do it", "ok yes", "yes stop"):
        _one_line(understood(rt, heard(words, 1.0)))
    _still_open(rt, pending)
    assert say(press=f"confirm:{pending.code}") == []  # the tap still works: the request was left as it was
    now = rt.conversation.services.confirmations.get(pending.code)
    assert now is not None and now.status == "confirmed"


@pytest.mark.parametrize("words", ["approve", "confirm"])
def test_a_clear_spoken_yes_confirms_a_change_when_the_recogniser_is_sure(bot: tuple[Runtime, Say], words: str) -> None:
    rt, _ = bot
    pending = _ask_scale(bot)
    [said] = voice_note(rt, real_note(words, snr_db=None))
    assert said.text == f"I heard: '{words}'"
    done = outbox_after(rt)
    assert any(r.text.startswith("Confirmed by alice") for r in done)
    assert rt.conversation.services.provider.get(_resource_id(pending)).count == 5


def test_a_spoken_yes_below_the_bar_or_from_free_form_recognition_does_not_confirm(
    settings: Settings, say_factory: SayFactory
) -> None:
    bot = say_factory(settings.model_copy(update={"voice_yes_min": 1.0}))
    rt, _ = bot
    pending = _ask_scale(bot)
    assert _one_line(voice_note(rt, real_note("approve", snr_db=None))).endswith(REFUSED)
    assert _one_line(understood(rt, heard("yes", 0.99))).endswith(REFUSED)
    _still_open(rt, pending)
    rt2, _ = bot2 = say_factory(settings)
    pending = _ask_scale(bot2)
    assert _one_line(understood(rt2, heard("yes", 0.99, constrained=False))).endswith(REFUSED)
    _still_open(rt2, pending)


def test_go_ahead_said_is_no_spoken_yes(bot: tuple[Runtime, Say]) -> None:
    rt, _ = bot
    pending = _ask_scale(bot)
    assert _one_line(understood(rt, heard("go ahead", 0.99))).endswith(REFUSED)
    _still_open(rt, pending)


def test_a_spoken_yes_with_the_code_confirms_only_that_code(bot: tuple[Runtime, Say]) -> None:
    rt, _ = bot
    pending = _ask_scale(bot)
    spelled = " ".join(_SPOKEN.get(c, c.lower()) for c in pending.code)
    other = "k seven q two m nine" if pending.code != "K7Q2M9" else "a two b three c four"
    assert _one_line(understood(rt, heard(f"yes code {other}", 0.99))).endswith(REFUSED)
    _one_line(understood(rt, heard(f"yes code {spelled} please", 0.99)))
    _still_open(rt, pending)
    [said] = understood(rt, heard(f"yes code {spelled}", 0.99))
    assert said.text == f"I heard: 'yes code {spelled}'"
    now = rt.conversation.services.confirmations.get(pending.code)
    assert now is not None and now.status == "confirmed"


# How a code's characters are said. "u" on its own is not read as a letter by the parser: "uniform" is.
_SPOKEN = {"2": "two", "3": "three", "4": "four", "5": "five", "6": "six", "7": "seven", "8": "eight", "9": "nine"}
_SPOKEN["U"] = "uniform"


@pytest.mark.parametrize("typed", ["fail over web-prod to dr", "shut down db-prod now"])
def test_a_spoken_yes_never_approves_a_critical_action(bot: tuple[Runtime, Say], typed: str) -> None:
    rt, say = bot
    [card] = say(typed)
    assert "needs approval by an admin other than alice" in card.text
    code = button([card], "Approve").partition(":")[2]
    for user in ("alice", "carol"):  # the requester, and an admin who could approve it with a tap
        [line] = voice_note(rt, real_note("approve", snr_db=None), user=user)
        assert line.text == "I heard: 'approve' - a spoken yes doesn't approve a critical action: " \
            "the admin taps Approve or types its code."  # fmt: skip
        assert _one_line(understood(rt, heard(f"yes code {' '.join(code.lower())}", 1.0), user=user))
    pending = rt.conversation.services.confirmations.get(code)
    assert pending is not None and pending.status == "open"


@pytest.mark.parametrize("words", ["cancel", "no"])
def test_a_spoken_cancel_cancels(bot: tuple[Runtime, Say], words: str) -> None:
    rt, _ = bot
    pending = _ask_scale(bot)
    said, cancelled = voice_note(rt, real_note(words, snr_db=None))
    assert said.text == f"I heard: '{words}'"
    assert cancelled.edit_of is not None and cancelled.text.startswith("Cancelled by alice")
    now = rt.conversation.services.confirmations.get(pending.code)
    assert now is not None and now.status == "cancelled"
    pending = _ask_scale(bot)
    said, cancelled = understood(rt, heard("stop", 0.3))  # however unsure: cancelling is the safe way
    assert cancelled.text.startswith("Cancelled by alice")
    [stop] = understood(rt, heard("stop"))
    assert stop.text == "I heard: 'stop'\nNothing to cancel here."
