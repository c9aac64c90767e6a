"""The "Emergency" global shortcut: a modal (views.open with the shortcut's trigger_id) listing the emergency buttons
this user may run; a press asks through the normal flow, the preview and confirmation in the user's direct
message. A viewer's modal offers nothing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from tests.slack.conftest import CAROL, DAVE, StackFactory, new_trigger_id
from tests.slack.test_home import texts, view_press


def shortcut(user: str) -> str:
    """A global shortcut's payload as Slack documents it (api.slack.com/reference/interaction-payloads/shortcuts)."""
    body: dict[str, Any] = {
        "type": "shortcut", "token": "Zz1", "action_ts": "1581106241.371594", "callback_id": "emergency",
        "trigger_id": new_trigger_id(), "team": {"id": "T123ABC456", "domain": "fake"},
        "user": {"id": user, "username": "someone", "team_id": "T123ABC456"},
    }  # fmt: skip
    return "payload=" + quote(json.dumps(body))


def test_the_emergency_shortcut_opens_the_users_buttons_and_a_press_asks_in_their_dm(
    make_stack: StackFactory,
) -> None:
    stack = make_stack()
    assert stack.form(shortcut(CAROL)).status_code == 200
    stack.fake.wait_for(lambda: len(stack.fake.modals) == 1)
    [modal] = stack.fake.modals
    assert modal["title"]["text"] == "Emergency"
    buttons = [e for b in modal["blocks"] if b["type"] == "actions" for e in b["elements"]]
    labels = [b["text"]["text"] for b in buttons]
    assert any(label.startswith("Fail over") for label in labels), labels
    press = view_press(modal, "Emergency scale", user=CAROL)
    assert stack.form(press).status_code == 200
    preview = stack.fake.message_where(lambda m: m.channel == CAROL)
    assert "emergency" in preview.shown.lower(), preview.shown
    assert any(b["action_id"].startswith("confirm:") for b in preview.buttons), preview.buttons  # chat's own pending


def test_a_viewers_emergency_modal_offers_nothing(make_stack: StackFactory) -> None:
    stack = make_stack()
    assert stack.form(shortcut(DAVE)).status_code == 200
    stack.fake.wait_for(lambda: len(stack.fake.modals) == 1)
    [modal] = stack.fake.modals
    assert not [b for b in modal["blocks"] if b["type"] == "actions"]
    assert "Nothing here you may run" in texts(modal)
