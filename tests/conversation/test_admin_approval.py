"""With the shipped policy an admin's own critical action can be approved: by the other admin, erin."""

from __future__ import annotations

from bot.runtime import Runtime
from tests.conversation.conftest import Say, button, outbox_after


def test_carols_failover_is_approved_by_erin(runtime: Runtime, say: Say) -> None:
    [ask] = say("fail over api-prod to dr", user="carol")  # no runbook: the critical action itself
    assert "needs approval by an admin other than carol" in ask.text
    approve = button([ask], "Approve")
    [own] = say(press=approve, user="carol")
    assert own.text == "carol asked for this: another admin must approve it"
    assert say(press=approve, user="erin") == []
    texts = [r.text for r in outbox_after(runtime)]
    assert texts[0].startswith("Approved by erin")
    assert texts[-1].startswith("Done")
