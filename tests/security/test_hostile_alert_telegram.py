"""The hostile alert (tests/security/hostile.py), through the webhook of a Telegram `opsbot serve`: its card in
the group is clean, and its buttons are the usual four."""

from __future__ import annotations

import json
from pathlib import Path

from tests.alerting.conftest import TOKEN, alerting_file
from tests.security.hostile import GENERIC, assert_clean
from tests.telegram import updates
from tests.telegram.conftest import TO_GROUP, StackFactory, api, make_stack  # noqa: F401  (fixtures used through pytest)


def test_the_telegram_card_is_clean(make_stack: StackFactory, tmp_path: Path) -> None:  # noqa: F811
    stack = make_stack(alerting=alerting_file(tmp_path, TO_GROUP), alert_sources={"generic": {"token": TOKEN}})
    response = stack.http.post(stack.url + "/alerts/generic", content=json.dumps(GENERIC),
                               headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert response.status_code == 200, response.text
    card = stack.reply(updates.KNOWN_GROUP, starts="FIRING")
    assert_clean(card.text)
    assert "ALERT 1 CRIT web-prod: 5xx above 5%" in card.text
    rows = (card.reply_markup or {})["inline_keyboard"]
    assert isinstance(rows, list)
    labels = [b["text"] for row in rows for b in row]
    assert labels == ["Acknowledge", "Resolve", "Silence 1h", "Graph"]
