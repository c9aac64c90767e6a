"""An alert card in a Telegram group, acknowledged with its button: the card is edited in place to say by whom."""

from __future__ import annotations

from pathlib import Path

from alerts.model import Incoming, Severity
from tests.alerting.conftest import alerting_file
from tests.telegram import updates
from tests.telegram.conftest import StackFactory, api, make_stack  # noqa: F401  (fixtures used through pytest)

GROUP = updates.KNOWN_GROUP
TO_GROUP = {
    "timezone": "UTC",
    "routes": [{"name": "all", "channels": [f"telegram:{GROUP}"], "escalation": "slow"}],
    "escalations": {"slow": {"steps": [{"notify": "channel"}, {"after": "1h", "notify": "dm"}]}},
    "schedules": {"primary": {"timezone": "UTC", "rotation": "daily", "handoff": "09:00", "start": "2026-01-05",
                              "people": ["alice"]}},
}  # fmt: skip


def test_acknowledge_button_in_a_telegram_group(make_stack: StackFactory, tmp_path: Path) -> None:  # noqa: F811
    stack = make_stack(alerting=alerting_file(tmp_path, TO_GROUP))
    item = Incoming(source="gcp", fingerprint="inc-1", severity=Severity.CRITICAL, summary="uptime check failing",
                    resource="shop-frontend")  # fmt: skip
    stack.runtime.alerting.escalator.ingest([item])
    card = stack.reply(GROUP, starts="FIRING")
    assert "ALERT 1 CRIT shop-frontend: uptime check failing" in card.text
    stack.send(updates.press(card, "alert:ack:", user=updates.ALICE))
    shown = stack.shows(GROUP, card.message_id, "ACKED by alice via Telegram")
    assert "Acknowledge" not in str(shown)
