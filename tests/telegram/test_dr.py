"""A failover through Telegram: asked in the ops group, the whole runbook previewed, approved by a second admin with
the inline button, then followed in that one message, which the bot edits into the live checklist to its end; the
first human step ticked with its button, the incident group told (the real python-telegram-bot against the fake Bot API;
the simulated world and its DNS move fast)."""

from __future__ import annotations

from fakes.telegram_api import SentMessage
from tests.telegram import updates
from tests.telegram.conftest import StackFactory, TelegramStack
from tests.telegram.updates import CAROL, INCIDENT_GROUP, KNOWN_GROUP

ERIN = 567890123  # erin's Telegram id in the shipped policy: the second admin


def _ticks(stack: TelegramStack, message_id: int, step: int, user: int) -> None:
    """Once the checklist offers the tick of `step` (0-based), `user` presses it."""

    def offered(message: SentMessage) -> bool:
        return message.message_id == message_id and any(
            b.startswith("runbook:tick:") and b.endswith(f":{step}") for b in message.button_ids()
        )

    shown = stack.wait_for(lambda: next((m for m in stack.api.messages(KNOWN_GROUP) if offered(m)), None))
    stack.send(updates.press(shown, "runbook:tick:", user=user))


def test_a_failover_is_approved_and_its_one_message_becomes_the_checklist(make_stack: StackFactory) -> None:
    stack = make_stack(runbook_poll_seconds=0.05)
    stack.send(updates.text("/failover@OpsTestBot web-prod", chat=KNOWN_GROUP))
    ask = stack.reply(KNOWN_GROUP)
    assert ask.text.startswith("Failover: web-prod (AWS us-east-1) -> web-dr (Azure westeurope)")
    assert "Runbook web-failover (9 steps, about " in ask.text
    assert "needs approval by an admin other than alice" in ask.text

    stack.send(updates.press(ask, "confirm:", user=CAROL))
    _ticks(stack, ask.message_id, 3, ERIN)  # "Confirm the database replica is promoted", an admin's
    ticked = stack.wait_for(lambda: next((m for m in stack.api.messages(KNOWN_GROUP) if m.message_id == ask.message_id
                                          and "ticked by erin" in m.text), None))  # fmt: skip
    # The approval shows in the one message (its first edit, or - the delivery keeps only the newest edit of a
    # message that waits for its turn - the checklist's footer).
    assert "approved by carol" in ticked.history[1].lower()
    assert "[x] 2. Scale web-dr to web-prod's size" in ticked.text  # the checklist, in the one message
    assert "[x] 4. Confirm the database replica is promoted (admin)" in ticked.text
    assert stack.runtime.conversation.services.provider.get("web-dr").count == 12
    news = stack.reply(INCIDENT_GROUP, "Failover ")  # the status line the incident group gets
    assert news.chat_id == INCIDENT_GROUP
