"""Telegram end to end: updates in (long polling or webhook) -> opsbot -> Bot API calls out, through the
real python-telegram-bot against the fake Bot API, with the real Redis, worker and Deliverer."""

from __future__ import annotations

import pytest

from tests.telegram import updates
from tests.telegram.conftest import StackFactory, TelegramStack
from tests.telegram.updates import ALICE, CAROL, INCIDENT_GROUP, KNOWN_GROUP, STRANGER


def _count(stack: TelegramStack, name: str) -> int | None:
    return stack.runtime.conversation.services.provider.get(name).count


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_scale_is_confirmed_by_a_button_press_then_runs(make_stack: StackFactory, mode: str) -> None:
    # No worker until the confirmation has shown: the "Confirmed" edit is then seen on its own, not
    # folded by the Deliverer into the progress edits that follow it.
    stack = make_stack(mode, worker=False)
    ask = stack.say("/scale web-prod 20")
    assert "web-prod (AWS us-east-1): 12 -> 20 instances" in ask.text
    assert [b.split(":")[0] for b in ask.button_ids()] == ["confirm", "cancel"]

    stack.send(updates.press(ask, "confirm:"))
    pressed = stack.shows(ALICE, ask.message_id, "Confirmed by alice")
    assert pressed.reply_markup is None  # the buttons are gone once the question is settled
    stack.wait_for(lambda: len(stack.api.answered()) == 1)  # the spinner on the button stopped
    assert not stack.api.toasts()

    stack.start_worker()
    done = stack.shows(ALICE, ask.message_id, "Done")
    assert "web-prod is at 20 instances" in done.text
    assert _count(stack, "web-prod") == 20
    assert len(stack.api.messages(ALICE)) == 1  # progress edited the one message; nothing new was posted


def test_failover_in_a_group_runs_only_after_an_admins_press(make_stack: StackFactory) -> None:
    stack = make_stack(worker=False)  # as above: the approval shows before the job's progress
    stack.send(updates.text("/failover@OpsTestBot api-prod to dr", chat=KNOWN_GROUP))  # no runbook protects it
    ask = stack.reply(KNOWN_GROUP)
    assert "needs approval by an admin other than alice" in ask.text

    stack.send(updates.press(ask, "confirm:", user=CAROL))
    stack.shows(KNOWN_GROUP, ask.message_id, "Approved by carol")
    stack.start_worker()
    stack.shows(KNOWN_GROUP, ask.message_id, "Done")
    assert _count(stack, "api-dr") == 8
    news = stack.reply(INCIDENT_GROUP, "DR status - api-prod failover (asked by alice, approved by carol)")
    assert news.chat_id == INCIDENT_GROUP


def test_an_unknown_user_is_told_how_to_be_added(telegram: TelegramStack) -> None:
    refusal = telegram.say("scale web-prod to 20", user=STRANGER)
    assert refusal.text == f"You are not on opsbot's list. Ask an admin (carol or erin) to add telegram:{STRANGER}."
    assert refusal.reply_markup is None


# The tests below are about what a message says, not how it arrived: one receiving mode is enough.


def test_start_and_help_commands_answer_with_the_help(make_stack: StackFactory) -> None:
    stack = make_stack()
    start = stack.say("/start")
    assert "scale" in start.text and "status" in start.text
    assert stack.say("/help@OpsTestBot scale").text.startswith("scale: change a group's size")


def test_a_40_kb_message_is_refused_in_one_line(make_stack: StackFactory) -> None:
    stack = make_stack("webhook")  # the biggest body the webhook route takes in
    refusal = stack.say("status " + "x" * 40_000)
    assert refusal.text == "That message is too long (40,007 characters; limit 4,000)."


def test_emoji_and_right_to_left_text_are_understood_or_answered_plainly(make_stack: StackFactory) -> None:
    stack = make_stack()
    assert stack.say("🚀 status of prod 🔥").text.startswith("prod:")
    hebrew = "מצב של prod"  # "status of prod" in Hebrew, with the environment name in Latin letters
    answer = stack.say(hebrew)
    assert answer.text  # understood or not, a readable answer and never an error
    assert "Something went wrong" not in answer.text


def test_markup_typed_by_a_user_is_never_sent_as_markup(make_stack: StackFactory) -> None:
    stack = make_stack()
    stack.say("find <b>web</b> &amp; <a href='http://127.0.0.1'>x</a>")
    [call] = stack.api.calls("sendMessage")
    assert "parse_mode" not in call.params  # plain text: Telegram shows every character as typed


def test_a_forum_topic_is_answered_in_its_topic(make_stack: StackFactory) -> None:
    stack = make_stack()
    stack.send(updates.text("/status", chat=KNOWN_GROUP, thread=77))
    answer = stack.reply(KNOWN_GROUP, "")
    assert answer.thread_id == 77
