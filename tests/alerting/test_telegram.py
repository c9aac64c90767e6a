"""An alert card in a Telegram group, acknowledged with its button: the card is edited in place to say by whom."""

from __future__ import annotations

from pathlib import Path

from alerts.model import Incoming, Severity
from fakes.telegram_api import SentMessage
from tests.alerting.conftest import alerting_file
from tests.telegram import updates
from tests.telegram.conftest import TO_GROUP, StackFactory, TelegramStack, api, make_stack  # noqa: F401  (fixtures used through pytest)

GROUP = updates.KNOWN_GROUP


def test_acknowledge_button_in_a_telegram_group(make_stack: StackFactory, tmp_path: Path) -> None:  # noqa: F811
    stack = make_stack(alerting=alerting_file(tmp_path, TO_GROUP))
    card = _fire(stack, "inc-1", "uptime check failing", "shop-frontend")
    assert "ALERT 1 CRIT shop-frontend: uptime check failing" in card.text
    stack.send(updates.press(card, "alert:ack:", user=updates.ALICE))
    shown = stack.shows(GROUP, card.message_id, "ACKED by alice via Telegram")
    assert "Acknowledge" not in str(shown)


def test_a_press_is_answered_by_a_toast_or_a_reply_to_the_card(make_stack: StackFactory, tmp_path: Path) -> None:  # noqa: F811
    stack = make_stack(alerting=alerting_file(tmp_path, TO_GROUP))
    card = _fire(stack, "inc-2", "checkout 5xx", "shop-frontend")

    refused = updates.press(card, "alert:ack:", user=updates.DAVE)
    stack.send(refused)
    toast = stack.wait_for(lambda: next(iter(stack.api.toasts()), None))
    assert toast[0] == refused["callback_query"]["id"]
    assert toast[1].startswith("dave is a viewer") and "\n" not in toast[1]  # only dave sees it

    stack.send(updates.press(card, "alert:ack:", user=updates.ALICE))
    stack.shows(GROUP, card.message_id, "ACKED by alice via Telegram")
    (answer,) = stack.wait_for(lambda: stack.api.replies_to(card))
    assert answer.text == "Alert 1 acknowledged: escalation stopped."
    assert [m.message_id for m in stack.api.messages(GROUP)] == [card.message_id, answer.message_id]
    assert len(stack.api.answered()) == 2  # each press answered once: no spinner left turning


def test_repeats_edit_the_card_and_reply_to_it(make_stack: StackFactory, tmp_path: Path) -> None:  # noqa: F811
    repeating = {**TO_GROUP, "escalations": {"slow": {"steps": [{"notify": "channel", "every": "1s", "times": 2}]}}}
    stack = make_stack(alerting=alerting_file(tmp_path, repeating))
    card = _fire(stack, "inc-3", "db down", "orders-db")
    notes = stack.wait_for(lambda: stack.api.replies_to(card) if len(stack.api.replies_to(card)) >= 2 else None)
    assert notes[0].text.startswith("Still not acknowledged after ") and notes[0].text.endswith(" s - repeat 1.")
    assert notes[1].text.startswith("Nobody acknowledged after ") and notes[1].text.endswith(" s: escalation ended.")
    stack.shows(GROUP, card.message_id, "Still not acknowledged - repeat 1")
    assert [m.message_id for m in stack.api.messages(GROUP)] == [card.message_id, *(n.message_id for n in notes)]


def _fire(stack: TelegramStack, fingerprint: str, summary: str, resource: str) -> SentMessage:
    """A critical alert from GCP comes in; its card, once it is in the group."""
    item = Incoming(source="gcp", fingerprint=fingerprint, severity=Severity.CRITICAL, summary=summary,
                    resource=resource)  # fmt: skip
    stack.runtime.alerting.escalator.ingest([item])
    return stack.reply(GROUP, starts="FIRING")
