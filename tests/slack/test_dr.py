"""A failover through Slack: asked in a channel, the whole runbook previewed in the thread, approved by a second admin
with the button, then followed in that one message, which the bot edits into the live checklist to its end; the
human steps ticked with its buttons (the real slack_sdk and bolt against the fake Web API; the simulated world and
its DNS move fast)."""

from __future__ import annotations

import time

from fakes.slack_api import PostedMessage
from tests.slack.conftest import ALICE_TOO, CAROL, FAST, SlackStack, StackFactory, mention, press_form

BOB, ERIN = "U234BCD", "U567EFG"  # the shipped policy's operator and second admin


def _press(slack: SlackStack, message: PostedMessage, label: str, user: str = ALICE_TOO) -> None:
    time.sleep(FAST * 2)  # a person reads before pressing
    assert slack.form(press_form(message, label, user=user)).status_code == 200


def _waits_for(slack: SlackStack, ask: PostedMessage, label: str) -> None:
    slack.fake.wait_for(lambda: any(b["text"]["text"].startswith(label) for b in ask.buttons))


def test_a_failover_is_approved_and_its_one_message_becomes_the_checklist(make_stack: StackFactory) -> None:
    slack = make_stack(sim_step_seconds=0.02, runbook_poll_seconds=0.05)
    body = mention("fail over web-prod")
    assert slack.event(body).status_code == 200
    ask = slack.fake.message_where(lambda m: m.thread_ts == body["event"]["ts"] and m.shown.startswith("Failover:"))
    assert "Runbook web-failover (9 steps, about " in ask.shown
    assert "4. Confirm the database replica is promoted: admin ticks it" in ask.shown
    assert "needs approval by an admin other than alice" in ask.shown
    assert [b["text"]["text"] for b in ask.buttons] == ["Approve (admin)", "Cancel"]

    _press(slack, ask, "Approve", user=CAROL)
    _waits_for(slack, ask, "Done: Confirm the database replica")
    _press(slack, ask, "Done: Confirm the database replica", user=ERIN)
    _waits_for(slack, ask, "Done: Tell the wedding coordinators")
    _press(slack, ask, "Done: Tell the wedding coordinators", user=BOB)
    slack.fake.wait_for(lambda: " - done, " in ask.shown.splitlines()[0])
    slack.settled()
    assert "approved by carol" in ask.versions[0].lower()  # its first edit, or the checklist if that one was newer
    assert any("[x] 2. Scale web-dr to web-prod's size" in v for v in ask.versions)  # the checklist, in place
    assert "[x] 4. Confirm the database replica is promoted (admin)" in ask.shown and "ticked by erin" in ask.shown
    assert "Asked by alice, approved by carol" in ask.shown
    assert ask.buttons == []
    assert slack.runtime.conversation.services.provider.get("web-dr").count == 12
