"""With incident channels set, a critical action's approval card from the dashboard goes there; an operator in
that channel may not approve it, an admin other than the requester may."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.runtime import Runtime
from core.models import ConversationRef, Message
from core.settings import Settings
from tests.web.harness import BOT_TOKEN, Dashboard, sign_in

CAROL = 345678901
ROOM = ConversationRef(channel="slack", conversation_id="C0INCIDENT")


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"telegram_token": SecretStr(BOT_TOKEN), "sim_resources": 200, "incident_channels": ["slack:C0INCIDENT"]}
    )


def test_the_card_goes_to_the_incident_channel_where_only_an_admin_approves(
    dashboard: Dashboard, runtime: Runtime
) -> None:
    with dashboard.client() as carol:
        sign_in(carol, CAROL)
        [card] = carol.post("/app/api/say", json={"text": "fail over api-prod to dr"}).json()["replies"]
    [copy] = [r for _, r in runtime.outbox.read("slack") if r.key.startswith("urgent-approve-")]
    assert copy.ref == ROOM and [b.id for b in copy.buttons] == [card["buttons"][0]["id"]]
    assert not [r for _, r in runtime.outbox.read("telegram")]  # the room is told: no direct messages besides

    def press(slack_id: str) -> str:
        [answer] = runtime.conversation.handle(
            Message(ref=ROOM, sender=slack_id, button_id=copy.buttons[0].id, received_at=0)
        )
        return answer.text

    assert press("U234BCD") == "bob is an operator: approving needs admin"  # bob, an operator
    assert press("U567EFG").startswith("Approved carol's request - running.")  # erin, the other admin
    assert press("U567EFG").startswith("Already confirmed by erin")
