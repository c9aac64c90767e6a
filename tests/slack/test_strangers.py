"""Someone the policy does not list, on the real Slack path: one line saying how to be added (per conversation,
at most once an hour), never any data, whatever they type or press; carol and erin get one direct message each.
A conversation the policy opens to its members lets them read there, and nowhere else."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import yaml

from tests.slack.conftest import CHANNEL, SlackStack, StackFactory, command_form, direct, mention, policy_file, sample

STRANGER = "U999ZZZ"
STRANGER_DM = "D0STRANGER"
LINE = "You are not on opsbot's list. Ask an admin (carol or erin) to add slack:U999ZZZ."
ADMINS = {"U345CDE", "U567EFG"}  # carol's and erin's Slack ids in the shipped policy
QUESTIONS = ["status", "status of prod", "alerts", "who is on call", "cost this month", "show web-prod", "find web"]


def _press(value: str, n: int) -> str:
    body = sample("slack_interactive_block_actions_button_bolt_python.json")
    body["user"]["id"] = STRANGER
    body["trigger_id"] = f"8.{n}.press"
    body["actions"][0].update(action_id=value, value=value)
    return "payload=" + quote(json.dumps(body))


def _command(text: str, n: int) -> str:
    return command_form(text, user=STRANGER).replace("trigger_id=111.111.xxx", f"trigger_id=8.{n}.cmd")


def _ask_everything(slack: SlackStack, channel: str) -> None:
    for n, question in enumerate(QUESTIONS):
        slack.event(direct(question, user=STRANGER, channel=STRANGER_DM))
        slack.event(mention(question, user=STRANGER, channel=channel))
        slack.form(_command(question, n))
    for n, value in enumerate(["alert:ack:1", "alert:resolve:1", "more:abc", "confirm:abc"]):
        slack.form(_press(value, n))
    slack.settled()


def test_a_stranger_gets_one_line_per_conversation_and_no_data(slack: SlackStack) -> None:
    _ask_everything(slack, CHANNEL)
    _ask_everything(slack, CHANNEL)  # again: still nothing new
    to_stranger = [m for m in slack.fake.messages if m.channel not in ADMINS]
    # the direct message, the channel of the mentions, and the channel of the slash commands and buttons
    assert sorted(m.channel for m in to_stranger) == sorted([STRANGER_DM, CHANNEL, "C111"])
    assert {m.shown for m in to_stranger} == {LINE}
    assert all(m.buttons == [] for m in to_stranger)
    notices = [m for m in slack.fake.messages if m.channel in ADMINS]
    assert sorted(m.channel for m in notices) == sorted(ADMINS)  # each admin told once
    assert all(m.shown.startswith("slack:U999ZZZ asked opsbot something in ") for m in notices)


def test_a_conversation_open_to_its_members_lets_them_read_there_only(make_stack: StackFactory, tmp_path: Path) -> None:
    policy = yaml.safe_load(policy_file(tmp_path).read_text(encoding="utf-8"))
    policy["conversations"][f"slack:{CHANNEL}"] = {"name": "#ops", "members": "viewer"}
    path = tmp_path / "members.yaml"
    path.write_text(yaml.safe_dump(policy, sort_keys=False), encoding="utf-8")
    slack = make_stack(policy=path)
    body = mention("status prod", user=STRANGER)
    slack.event(body)
    answer = slack.fake.message_where(lambda m: m.thread_ts == body["event"]["ts"])
    assert answer.shown.startswith("prod:")
    change = mention("restart web-prod", user=STRANGER)
    slack.event(change)
    refusal = slack.fake.message_where(lambda m: m.thread_ts == change["event"]["ts"])
    assert refusal.shown == "slack:U999ZZZ is a viewer: restarting needs operator"
    slack.event(direct("status", user=STRANGER, channel=STRANGER_DM))
    assert slack.fake.message_where(lambda m: m.channel == STRANGER_DM).shown == LINE
    slack.settled()
    assert not [m for m in slack.fake.messages if m.channel == STRANGER_DM and m.shown != LINE]
