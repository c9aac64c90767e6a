"""Whole conversations through Slack: signed requests in, Web API calls out, as a user on a phone sees them."""

from __future__ import annotations

import time

import httpx

from fakes.slack_api import PostedMessage
from tests.slack.conftest import (
    ALICE_TOO,
    CAROL,
    CHANNEL,
    DAVE,
    FAST,
    SlackStack,
    StackFactory,
    command_form,
    direct,
    mention,
    press_form,
    sample,
    sample_bytes,
)


def _web_prod(slack: SlackStack) -> int | None:
    return slack.runtime.conversation.services.provider.get("web-prod").count


def _in_thread(slack: SlackStack, thread_ts: str, starts: str) -> PostedMessage:
    return slack.fake.message_where(lambda m: m.thread_ts == thread_ts and m.shown.startswith(starts))


def _press(slack: SlackStack, message: PostedMessage, label: str, user: str = ALICE_TOO) -> httpx.Response:
    # A person reads before pressing. A press within the pacing interval of the question would let the
    # Deliverer merge "Confirmed by ..." with the job's first progress line (it keeps the newest edit).
    time.sleep(FAST * 2)
    return slack.form(press_form(message, label, user=user))


def test_two_step_scale_updates_the_confirmation_message_in_place(make_stack: StackFactory) -> None:
    slack = make_stack(sim_step_seconds=0.15)
    ask_body = mention("scale web-prod to 20")
    assert slack.event(ask_body).status_code == 200
    thread = ask_body["event"]["ts"]

    ask = _in_thread(slack, thread, "Scale: web-prod")
    assert "12 -> 20 instances" in ask.shown
    assert [b["text"]["text"] for b in ask.buttons] == ["Confirm", "Cancel"]
    assert [b.get("style") for b in ask.buttons] == ["primary", None]
    assert _web_prod(slack) == 12

    assert _press(slack, ask, "Confirm").status_code == 200
    slack.fake.wait_for(lambda: any(v.startswith("Done") for v in ask.versions))
    slack.settled()
    assert ask.versions[0].startswith("Confirmed by alice")
    assert any("/20 instances running" in v for v in ask.versions[1:-1])  # progress, in place
    assert ask.versions[-1].startswith("Done: web-prod is at 20 instances")
    assert ask.buttons == []  # the buttons are gone once confirmed: no second press from a stale screen
    assert _web_prod(slack) == 20
    assert len(slack.fake.calls_to("chat.postMessage")) == 1  # everything after the question is an edit


def test_failover_needs_a_different_admin_to_approve(slack: SlackStack) -> None:
    body = mention("fail over api-prod to dr")  # no runbook: the critical action itself (web-prod's: test_dr.py)
    slack.event(body)
    thread = body["event"]["ts"]
    ask = _in_thread(slack, thread, "Failover: api-prod")
    assert ask.buttons[0]["text"]["text"].startswith("Approve")

    _press(slack, ask, "Approve")  # alice asked; she cannot approve her own failover
    slack.fake.wait_for(lambda: bool(slack.fake.ephemeral))
    (refusal,) = slack.fake.ephemeral  # said to alice alone, in the thread of the question
    assert (refusal.user, refusal.thread_ts) == (ALICE_TOO, thread)
    assert refusal.shown.startswith("alice asked for this") and "another admin must approve it" in refusal.shown
    assert ask.versions == []

    _press(slack, ask, "Approve", user=CAROL)
    slack.fake.wait_for(lambda: any(v.startswith("Approved by carol") for v in ask.versions))
    slack.settled()
    assert ask.versions[0].startswith("Approved by carol")
    assert ask.versions[-1].startswith("Done")


def test_cancel_leaves_everything_as_it_was(slack: SlackStack) -> None:
    body = mention("scale web-prod to 20")
    slack.event(body)
    ask = _in_thread(slack, body["event"]["ts"], "Scale: web-prod")
    _press(slack, ask, "Cancel")
    slack.fake.wait_for(lambda: bool(ask.versions))
    assert ask.versions[-1].startswith("Cancelled by alice")
    assert _web_prod(slack) == 12


def test_slash_command_answers_in_the_channel(slack: SlackStack) -> None:
    response = slack.form(command_form("status prod"))
    assert response.status_code == 200
    assert response.text == ""  # acknowledged at once; the answer is a message of its own
    answer = slack.fake.message_where(lambda m: m.channel == "C111")
    assert answer.thread_ts is None
    assert "prod" in answer.shown


def test_bolts_slash_command_sample_as_sent(slack: SlackStack) -> None:
    # "/hello-world Hi" from alice: not a command opsbot knows, so it answers with the short help.
    assert slack.form(sample_bytes("slack_slash_command_bolt_python.txt").decode()).status_code == 200
    answer = slack.fake.message_where(lambda m: m.channel == "C111")
    assert "help" in answer.shown.lower()


def test_bolts_block_actions_sample_as_sent(slack: SlackStack) -> None:
    raw = sample_bytes("slack_interactive_block_actions_button_bolt_python.form.txt").decode()
    assert slack.form(raw).status_code == 200
    answer = slack.fake.message_where(lambda m: m.channel == "C111")
    assert answer.shown == "That button is no longer valid."


def test_direct_message_is_answered_without_a_thread(slack: SlackStack) -> None:
    assert slack.event(direct("status")).status_code == 200
    answer = slack.fake.message_where(lambda m: m.channel == "D024BE91L")
    assert answer.thread_ts is None
    assert answer.shown.startswith("All clouds")


def test_mention_in_a_thread_is_answered_in_that_thread(slack: SlackStack) -> None:
    slack.event(mention("status prod", thread_ts="1600000000.000001"))
    answer = slack.fake.message_where(lambda m: m.channel == CHANNEL)
    assert answer.thread_ts == "1600000000.000001"


def test_unknown_user_is_told_how_to_be_added(slack: SlackStack) -> None:
    body = mention("scale web-prod to 20", user="U999ZZZ")
    slack.event(body)
    refusal = slack.fake.message_where(lambda m: m.thread_ts == body["event"]["ts"])
    assert refusal.shown == "You are not on opsbot's list. Ask an admin (carol or erin) to add slack:U999ZZZ."
    assert refusal.buttons == []


def test_viewer_from_the_policy_is_refused_by_name(slack: SlackStack) -> None:
    slack.event(mention("restart web-staging", user=DAVE))
    refusal = slack.fake.message_where(lambda m: m.channel == CHANNEL)
    assert refusal.shown.startswith("dave is a viewer")


def test_image_shared_in_a_channel_without_a_mention_is_not_for_the_bot(slack: SlackStack) -> None:
    assert slack.event(sample("slack_event_message_file_share_image_bolt_python.json")).status_code == 200
    slack.event(direct("status"))  # a later message is answered, so the first had its chance
    slack.fake.message_where(lambda m: m.channel == "D024BE91L")
    slack.settled()
    assert [m.channel for m in slack.fake.messages] == ["D024BE91L"]
