"""A deploy through Telegram: asked in a chat, confirmed with the inline button, followed in the one message the bot
edits to its end (the real python-telegram-bot against the fake Bot API; the simulated world rolls fast)."""

from __future__ import annotations

from tests.telegram import updates
from tests.telegram.conftest import StackFactory
from tests.telegram.updates import ALICE


def test_a_deploy_is_confirmed_by_its_button_and_one_message_shows_it_to_the_end(make_stack: StackFactory) -> None:
    stack = make_stack(sim_step_seconds=0.05, deploy_poll_seconds=0.05)
    ask = stack.say("deploy web v2.4 to staging")
    assert ask.text.startswith("Deploy web v2.4 to staging: 2 groups in 2 clouds, about ")
    assert "web-preview (Azure northeurope): v2.3 -> v2.4, 2 instances" in ask.text
    assert [b.split(":")[0] for b in ask.button_ids()] == ["confirm", "cancel"]

    stack.send(updates.press(ask, "confirm:"))
    done = stack.shows(ALICE, ask.message_id, "Done:")
    stack.settled()
    assert done.history[1].startswith("Confirmed by alice")
    assert any(text.startswith("Deploying web v2.4 to staging: ") for text in done.history)  # progress, in place
    assert done.text.startswith("Done: web v2.4 in staging, 2 groups")
    assert done.button_ids() == ["deploy:rollback:1"]
    milestone = stack.reply(ALICE, "Deploy 1 started")
    assert milestone.message_id != ask.message_id
