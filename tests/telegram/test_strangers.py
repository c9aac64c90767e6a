"""Strangers on Telegram (anyone can open a private chat with a bot): one line saying how to be added, never any
data, whatever they type or press; the admins hear of each stranger once. Groups the policy does not name stay
silent for everyone, reads included.

As in test_ignored, each test ends with alice's sentinel: updates are handled in order, so once it is answered
"nothing was sent" is a fact, not a timing guess."""

from __future__ import annotations

from pathlib import Path

import yaml

from fakes.audio import encode, speak
from fakes.telegram_api import SentMessage
from tests.telegram import updates
from tests.telegram.conftest import StackFactory, TelegramStack, policy_file
from tests.telegram.test_voice import note
from tests.telegram.updates import ALICE, CAROL, KNOWN_GROUP, STRANGER, UNKNOWN_GROUP

ERIN = 567890123  # erin's Telegram id in the shipped policy
LINE = f"You are not on opsbot's list. Ask an admin (carol or erin) to add telegram:{STRANGER}."
QUESTIONS = ["/status", "status of prod", "/alerts", "who is on call", "cost this month", "show web-prod", "/help"]


def _sentinel(stack: TelegramStack) -> None:
    stack.say("help scale")
    stack.settled()


def _card(chat: int) -> SentMessage:
    """A message with Acknowledge buttons, as the bot would have posted it."""
    markup: dict[str, object] = {"inline_keyboard": [[{"text": "Acknowledge", "callback_data": "alert:ack:1"}]]}
    return SentMessage(chat_id=chat, message_id=1, text="ALERT 1 ...", reply_markup=markup, thread_id=None)


def test_a_stranger_in_a_private_chat_gets_one_line_and_the_admins_one_notice(telegram: TelegramStack) -> None:
    for question in QUESTIONS * 2:
        telegram.send(updates.text(question, user=STRANGER))
    for button in ("alert:ack:1", "more:abc", "confirm:abc", "heard:abc"):
        telegram.send(updates.press(_card(STRANGER), button, user=STRANGER))
    spoken = note(telegram.api, encode(speak("status"), "ogg_opus"))
    spoken["message"]["from"]["id"] = spoken["message"]["chat"]["id"] = STRANGER
    telegram.send(spoken)
    _sentinel(telegram)
    assert [m.text for m in telegram.api.messages(STRANGER)] == [LINE]
    for admin in (CAROL, ERIN):
        [notice] = telegram.api.messages(admin)
        assert notice.text == (
            f"telegram:{STRANGER} asked opsbot something in a direct message; add them to the policy to let them in."
        )


def test_in_a_group_the_policy_does_not_name_nobody_reads(telegram: TelegramStack) -> None:
    for user in (STRANGER, ALICE):
        telegram.send(updates.text("/status@OpsTestBot", user=user, chat=UNKNOWN_GROUP))
        telegram.send(updates.text("@OpsTestBot alerts", user=user, chat=UNKNOWN_GROUP))
        telegram.send(updates.press(_card(UNKNOWN_GROUP), "alert:ack:1", user=user))
    _sentinel(telegram)
    assert telegram.api.messages(UNKNOWN_GROUP) == []
    assert telegram.api.messages(CAROL) == []  # nobody is told of a stranger in a group opsbot ignores


def test_a_group_opened_to_its_members_lets_a_stranger_read_there_only(
    make_stack: StackFactory, tmp_path: Path
) -> None:
    policy = yaml.safe_load(policy_file(tmp_path).read_text(encoding="utf-8"))
    policy["conversations"][f"telegram:{KNOWN_GROUP}"]["members"] = "viewer"
    path = tmp_path / "members.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    stack = make_stack(policy=path)
    status = stack.say("/status@OpsTestBot prod", user=STRANGER, chat=KNOWN_GROUP)
    assert status.text.startswith("prod:")
    refused = stack.say("/restart@OpsTestBot web-prod", user=STRANGER, chat=KNOWN_GROUP)
    assert refused.text == f"telegram:{STRANGER} is a viewer: restarting needs operator"
    assert stack.say("status of prod", user=STRANGER).text == LINE  # in a private chat: still a stranger
