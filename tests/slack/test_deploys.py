"""A deploy through Slack: asked in a channel, confirmed with the button, followed in the one message the bot edits
to its end (the real slack_sdk and bolt against the fake Web API; the simulated world rolls fast)."""

from __future__ import annotations

import time

from tests.slack.conftest import FAST, StackFactory, mention, press_form


def test_a_deploy_is_confirmed_by_its_button_and_one_message_shows_it_to_the_end(make_stack: StackFactory) -> None:
    slack = make_stack(sim_step_seconds=0.05, deploy_poll_seconds=0.05)
    body = mention("deploy web v2.4 to staging")
    assert slack.event(body).status_code == 200
    thread = body["event"]["ts"]
    ask = slack.fake.message_where(lambda m: m.thread_ts == thread and m.shown.startswith("Deploy web v2.4"))
    assert ask.shown.startswith("Deploy web v2.4 to staging: 2 groups in 2 clouds, about ")
    assert "web-staging (AWS us-east-1): v2.3 -> v2.4, 3 instances" in ask.shown
    assert [b["text"]["text"] for b in ask.buttons] == ["Confirm", "Cancel"]

    time.sleep(FAST * 2)  # a person reads before pressing
    assert slack.form(press_form(ask, "Confirm")).status_code == 200
    slack.fake.wait_for(lambda: any(v.startswith("Done:") for v in ask.versions))
    slack.settled()
    assert ask.versions[0].startswith("Confirmed by alice")
    assert any(v.startswith("Deploying web v2.4 to staging: ") for v in ask.versions)  # progress, in place
    assert ask.versions[-1].startswith("Done: web v2.4 in staging, 2 groups")
    assert [b["text"]["text"] for b in ask.buttons] == ["Rollback"]
    # Milestones are replies under the progress message; the progress itself stays in the one message.
    started = slack.fake.message_where(lambda m: m.thread_ts == ask.ts and m.shown.startswith("Deploy 1 started"))
    assert started.versions == []
