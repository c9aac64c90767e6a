"""Delivery under Telegram's pressure - a storm of 429s, presses that must always be answered - and the
secrets that must never leave: not in a reply, a log line or the audit."""

from __future__ import annotations

import logging

import pytest

from tests.telegram import updates
from tests.telegram.conftest import SECRET, TOKEN, StackFactory, TelegramStack
from tests.telegram.updates import ALICE, BOB

TOPICS = ("scale", "stop", "status", "cost", "failover")


def test_a_429_storm_delays_replies_but_delivers_all_of_them_in_order(make_stack: StackFactory) -> None:
    telegram = make_stack()  # delivery does not depend on how updates arrive: one mode
    telegram.api.fail_next("sendMessage", 4, retry_after=1)
    for topic in TOPICS:
        telegram.send(updates.text(f"help {topic}"))
    telegram.send(updates.text("help scale", user=BOB))
    telegram.wait_for(lambda: len(telegram.api.messages(ALICE)) == len(TOPICS) and telegram.api.messages(BOB))
    firsts = [m.text.split()[0] for m in telegram.api.messages(ALICE)]
    assert firsts == ["scale:", "start", "status:", "cost:", "failover:"]  # the order of the questions
    assert [m.text.split()[0] for m in telegram.api.messages(BOB)] == ["scale:"]
    assert len(telegram.api.calls("sendMessage")) == len(TOPICS) + 1 + 4  # each refused send went again


def test_every_press_is_answered_even_one_opsbot_cannot_use(telegram: TelegramStack) -> None:
    ask = telegram.say("scale web-prod to 14")
    telegram.send(updates.press(ask, "confirm:NOSUCH"))  # a stale or forged button
    inline = updates.sample("telegram_update_callback_query_docs.json")  # pressed in inline mode: no chat
    inline["callback_query"] |= {"from": {"id": ALICE, "is_bot": False, "first_name": "a"}, "chat_instance": "1"}
    telegram.send(inline)
    telegram.wait_for(lambda: len(telegram.api.answered()) == 2)
    (refusal,) = telegram.api.toasts()  # the press's own answer, seen by the presser only
    assert refusal[1] == "No request has the code NOSUCH."  # one short line about the unusable confirmation
    assert len(telegram.api.messages(ALICE)) == 1  # nothing new in the chat: only the question
    assert telegram.runtime.conversation.services.provider.get("web-prod").count == 12


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_no_secret_reaches_a_reply_a_log_line_or_the_audit(
    make_stack: StackFactory, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, including the HTTP client's request lines
    stack = make_stack(mode)
    ask = stack.say("scale web-prod to 14")
    stack.send(updates.press(ask, "confirm:"))
    stack.shows(ALICE, ask.message_id, "Done")
    stack.say(f"status {TOKEN}")  # a user pasting the token: the audit masks token-shaped text
    stack.settled()

    assert "/bot[redacted]/sendMessage" in caplog.text  # the request lines are logged, with the token hidden
    assert TOKEN not in caplog.text
    assert SECRET not in caplog.text
    for call in stack.api.calls("sendMessage") + stack.api.calls("editMessageText"):
        assert TOKEN not in str(call.params)
    audit = (stack.settings.data_dir / "audit.jsonl").read_text(encoding="utf-8")
    assert "scale web-prod to 14" in audit
    assert TOKEN not in audit and SECRET not in audit
